import { allRoutes, type HttpMethod, type PlatformManifest, type RouteAuth } from '../../lib/manifest';

/**
 * API Gateway path templates (`/orders/{id}`, greedy `/files/{proxy+}`) compiled to matchers.
 * Literal segments win over parameters (API Gateway picks the most specific resource).
 */
export interface CompiledRoute {
  readonly method: HttpMethod;
  /** The resource template, e.g. /orders/{id} (the event's `resource`). */
  readonly path: string;
  readonly auth: RouteAuth;
  readonly handler: string;
  readonly paramNames: readonly string[];
  readonly regex: RegExp;
  /** Higher is more specific: literal segments count more than parameters. */
  readonly specificity: number;
}

export function compileTemplate(template: string): { regex: RegExp; paramNames: string[]; specificity: number } {
  if (!template.startsWith('/')) throw new Error(`route path must start with '/': '${template}'`);
  const paramNames: string[] = [];
  let specificity = 0;
  const segments = template.split('/').filter(Boolean);
  const parts = segments.map((seg, i) => {
    const greedy = /^\{([A-Za-z0-9_]+)\+\}$/.exec(seg);
    if (greedy) {
      if (i !== segments.length - 1) throw new Error(`greedy parameter must be last: '${template}'`);
      paramNames.push(greedy[1] as string);
      return '(.+)';
    }
    const param = /^\{([A-Za-z0-9_]+)\}$/.exec(seg);
    if (param) {
      paramNames.push(param[1] as string);
      specificity += 1;
      return '([^/]+)';
    }
    if (/[{}]/.test(seg)) throw new Error(`unsupported path segment '${seg}' in '${template}'`);
    specificity += 100;
    return seg.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  });
  return { regex: new RegExp(`^/${parts.join('/')}/?$`), paramNames, specificity };
}

export type MatchResult =
  | { kind: 'match'; route: CompiledRoute; pathParameters: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

export class RouteTable {
  readonly routes: readonly CompiledRoute[];

  constructor(routes: ReadonlyArray<{ method: HttpMethod; path: string; auth: RouteAuth; handler: string }>) {
    this.routes = routes
      .map((r) => ({ ...r, ...compileTemplate(r.path) }))
      .sort((a, b) => b.specificity - a.specificity || b.path.length - a.path.length);
  }

  static fromManifest(m: PlatformManifest): RouteTable {
    return new RouteTable(allRoutes(m));
  }

  /** `path` is the raw (still percent-encoded) request path without query string; parameter values are decoded. */
  match(method: string, path: string): MatchResult {
    const allowed = new Set<HttpMethod>();
    let best: { route: CompiledRoute; values: string[] } | undefined;
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      if (route.method === method) {
        best ??= { route, values: m.slice(1) as string[] };
      } else allowed.add(route.method);
    }
    if (best) {
      const pathParameters: Record<string, string> = {};
      best.route.paramNames.forEach((n, i) => (pathParameters[n] = safeDecode(best.values[i] as string)));
      return { kind: 'match', route: best.route, pathParameters };
    }
    if (allowed.size > 0) return { kind: 'method-not-allowed', allowed: [...allowed].sort() };
    return { kind: 'not-found' };
  }
}

export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

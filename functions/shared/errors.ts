/**
 * Named errors, one place that maps them (http.ts `toHttpResponse`). Use cases throw these;
 * nothing else catches and hides them.
 */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export class DomainError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** 400: the request is malformed; `issues` names each bad field. */
export class ValidationError extends DomainError {
  constructor(message: string, readonly issues: readonly FieldIssue[] = []) {
    super(message, 'VALIDATION_FAILED');
  }
}
/** 401 */
export class UnauthorizedError extends DomainError {
  constructor(message = 'missing or invalid credentials', code = 'UNAUTHORIZED') {
    super(message, code);
  }
}
/** 403 */
export class ForbiddenError extends DomainError {
  constructor(message = 'not allowed', code = 'FORBIDDEN') {
    super(message, code);
  }
}
/** 404 */
export class NotFoundError extends DomainError {
  constructor(message: string) {
    super(message, 'NOT_FOUND');
  }
}
/** 409: optimistic concurrency conflict or a state that forbids the command. */
export class ConflictError extends DomainError {
  constructor(message: string, code = 'CONFLICT') {
    super(message, code);
  }
}
/** 409: the same Idempotency-Key was sent again with a different body (orders, restocks). */
export class IdempotencyKeyReusedError extends ConflictError {
  constructor() {
    super('Idempotency-Key was already used with a different request body', 'IDEMPOTENCY_KEY_REUSED');
    this.name = 'IdempotencyKeyReusedError';
  }
}
/** 413: named like a 400 (`issues`, the part that is too large), under the status HTTP has for it. */
export class PayloadTooLargeError extends DomainError {
  constructor(message: string, readonly issues: readonly FieldIssue[] = []) {
    super(message, 'PAYLOAD_TOO_LARGE');
  }
}
/** 422: well-formed but refers to things that do not exist (e.g. unknown SKU). */
export class UnprocessableError extends DomainError {
  constructor(message: string, readonly issues: readonly FieldIssue[] = [], code = 'UNPROCESSABLE') {
    super(message, code);
  }
}
/** 429 */
export class RateLimitedError extends DomainError {
  constructor(message = 'too many requests', readonly retryAfterSeconds = 1) {
    super(message, 'RATE_LIMITED');
  }
}
/** 501: a manifest entry whose handler is not built yet. */
export class NotImplementedError extends DomainError {
  constructor(message: string) {
    super(message, 'NOT_IMPLEMENTED');
  }
}
/** 503: a dependency (store, broker, provider) is unavailable; safe to retry. */
export class DependencyUnavailableError extends DomainError {
  constructor(message: string, readonly dependency: string) {
    super(message, 'DEPENDENCY_UNAVAILABLE');
  }
}
/** Transient failure inside a saga task: Step Functions retries it (ASL Retry on this name). */
export class TransientError extends DomainError {
  constructor(message: string) {
    super(message, 'TRANSIENT');
  }
}

/** Infrastructure failures worth a retry: PostgreSQL serialization/deadlock/shutdown/too-many-connections, network errors. */
const TRANSIENT_PG_CODES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300', '53400', '08000', '08001', '08003', '08004', '08006']);
const TRANSIENT_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);
/** Which kind of transient infrastructure failure this is: the database's (a PostgreSQL code or node-postgres's connection messages), the network's (a socket error, whose peer it does not say), or none. */
export function transientInfraKind(err: unknown): 'database' | 'network' | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && TRANSIENT_PG_CODES.has(code)) return 'database';
  if (typeof code === 'string' && TRANSIENT_NET_CODES.has(code)) return 'network';
  const msg = String((err as Error)?.message ?? '');
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(msg) ? 'database' : undefined;
}
export function isTransientInfraError(err: unknown): boolean {
  return transientInfraKind(err) !== undefined;
}

import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Logger, metrics and tracer made once and imported everywhere. Service name and namespace come
 * from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, set by CDK and by the local runtime.
 * Locally (no Lambda), Metrics prints EMF lines only when asked to, and the tracer is never loaded:
 * importing it loads the X-Ray SDK, whose cls-hooked context installs an async_hooks destroy hook on
 * EVERY promise of the process (measured: ~6% of the local runtime's CPU under bench:saga).
 */
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'shop';
const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Shop';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace });

/** Adds `n` to a count metric and sends it now (EMF; the handlers that count are not wrapped by the Powertools middleware). */
export function countMetric(name: string, n = 1): void {
  metrics.addMetric(name, MetricUnit.Count, n);
  metrics.publishStoredMetrics();
}

/** Tracing runs in Lambda (X-Ray active) unless POWERTOOLS_TRACE_ENABLED=false. */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.POWERTOOLS_TRACE_ENABLED !== 'false' && !!env.AWS_LAMBDA_FUNCTION_NAME;
}

let tracer: Tracer | null | undefined;
/** The Powertools tracer in Lambda; undefined where tracing is off (the X-Ray SDK is then not even loaded). */
export function getTracer(): Tracer | undefined {
  if (tracer === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    tracer = tracingEnabled() ? new (require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer')).Tracer({ serviceName }) : null;
  }
  return tracer ?? undefined;
}

/** An AWS SDK v3 client whose calls appear as X-Ray subsegments in Lambda; the client itself elsewhere. */
export function traced<T>(client: T): T {
  const t = getTracer();
  return t ? t.captureAWSv3Client(client) : client;
}

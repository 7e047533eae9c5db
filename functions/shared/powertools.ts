import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * Logger, metrics and tracer made once and imported everywhere. Service name and namespace come
 * from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE, set by CDK and by the local runtime.
 * Locally (no Lambda), Tracer is disabled and Metrics prints EMF lines only when asked to.
 */
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'shop';
const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Shop';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace });
export const tracer = new Tracer({ serviceName, enabled: process.env.POWERTOOLS_TRACE_ENABLED !== 'false' && !!process.env.AWS_LAMBDA_FUNCTION_NAME });

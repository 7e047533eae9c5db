import { Logger } from '@aws-lambda-powertools/logger';

/** The runtime's own structured logger (handlers keep using functions/shared/powertools). */
export const log = new Logger({ serviceName: 'local-runtime', logLevel: (process.env.LOCAL_RUNTIME_LOG_LEVEL ?? 'INFO') as 'INFO' });

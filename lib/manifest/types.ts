import type { z } from 'zod';

/**
 * The platform manifest: the platform described once, read by two deployers —
 * the CDK app (lib/, bin/) and the local runtime (local/). No CDK imports here, so the local
 * runtime can load it without aws-cdk-lib.
 */
export type ServiceName = 'order' | 'inventory' | 'catalog' | 'payment' | 'user' | 'notification' | 'web3' | 'platform';

/** Data stores and AWS parts a handler uses; CDK turns each into VPC placement, env and grants. */
export type StoreRef =
  | 'postgres' // RDS PostgreSQL via RDS Proxy (orders, inventory, payments, users, outbox)
  | 'docdb' // DocumentDB (catalog event store + snapshots)
  | 'opensearch' // OpenSearch domain (catalog read model)
  | 'redis' // ElastiCache (cache, sessions, rate limits)
  | 'idempotency' // DynamoDB idempotency table
  | 'kafka-producer' // MSK: produces to `produces` topics
  | 'eventbus' // EventBridge custom bus (put events)
  | 'email' // Amazon SES: send email from the stage's identity (API v2 SendEmail)
  | 'saga' // Step Functions order saga (start executions)
  | 'saga-describe' // Step Functions order saga: describe its executions (with 'saga': the sweeper)
  | 'chain'; // an EVM chain over JSON-RPC (provider URL in Secrets Manager, reached over HTTPS through the NAT)

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type RouteAuth = 'public' | 'user' | 'admin';

export interface RouteDef {
  readonly method: HttpMethod;
  /** API Gateway style path, e.g. /orders/{id} */
  readonly path: string;
  readonly auth: RouteAuth;
  readonly summary: string;
  /** zod schemas; they produce the OpenAPI document used by API Gateway request validation. */
  readonly request?: {
    readonly body?: z.ZodType;
    readonly query?: z.ZodType;
    readonly params?: z.ZodType;
    readonly headers?: z.ZodType;
  };
  readonly responses?: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType }>>;
}

export interface ConsumerDef {
  readonly topic: string;
  /** Kafka consumer group (MSK event source mapping's consumer group id). */
  readonly groupId: string;
  /** @default 100 */
  readonly batchSize?: number;
}

export interface RuleDef {
  readonly name: string;
  /** EventBridge pattern (subset the local bus matches: source, detail-type, detail.*) */
  readonly pattern: Readonly<Record<string, unknown>>;
}

export type HandlerKind = 'http' | 'consumer' | 'schedule' | 'task' | 'rule' | 'authorizer' | 'custom-resource';

export interface HandlerDef {
  /** Unique across the manifest; becomes the Lambda's logical id and the local component name. */
  readonly name: string;
  readonly kind: HandlerKind;
  /** Path of the module from the repo root, e.g. functions/order/handlers/http.ts */
  readonly entry: string;
  /** Exported function name. @default 'handler' */
  readonly export?: string;
  readonly description: string;
  readonly routes?: readonly RouteDef[];
  readonly consumes?: readonly ConsumerDef[];
  readonly produces?: readonly string[];
  readonly rules?: readonly RuleDef[];
  /** For kind 'schedule': an EventBridge rate expression, e.g. 'rate(1 minute)' */
  readonly schedule?: string;
  /**
   * For kind 'schedule': how often the local runtime runs it, in seconds. @default the runtime's
   * interval (1 s: the relay and the sweeper run far more often locally than on AWS, so a test sees
   * their work at once); a job with nothing to gain from that sets its own.
   */
  readonly localIntervalSeconds?: number;
  readonly stores: readonly StoreRef[];
  /** @default 10 */
  readonly timeoutSeconds?: number;
  /** @default 512 */
  readonly memoryMb?: number;
  /** Reserved concurrency where it protects a store. @default none */
  readonly reservedConcurrency?: number;
  /** False while the logic is not built: the entry answers 501 with a clear message. */
  readonly implemented: boolean;
}

export interface ServiceDef {
  readonly name: ServiceName;
  readonly description: string;
  readonly handlers: readonly HandlerDef[];
}

export interface TopicDef {
  readonly name: string;
  readonly partitions: number;
  /** @default 168 (7 days) */
  readonly retentionHours?: number;
  readonly description: string;
}

export interface StateMachineDef {
  readonly name: string;
  /** ASL file relative to the repo root. */
  readonly definitionFile: string;
  /** ASL placeholder (without ${}) -> handler name whose function ARN it is. */
  readonly taskFunctions: Readonly<Record<string, string>>;
  /** Other placeholders: 'EventBusName' etc. resolved by the deployer. */
  readonly otherPlaceholders: readonly ('EventBusName' | 'OrderEventsTopic')[];
}

export interface PlatformManifest {
  readonly services: readonly ServiceDef[];
  readonly topics: readonly TopicDef[];
  readonly stateMachines: readonly StateMachineDef[];
  /** Source of domain events on EventBridge, e.g. 'shop.order' is `${eventSourcePrefix}.order`. */
  readonly eventSourcePrefix: string;
}

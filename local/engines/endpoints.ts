/**
 * Where each local engine listens. An environment variable that is set means "use this existing
 * endpoint" (the engine is then neither installed nor started); otherwise the fixed loopback default.
 * Plain module, no side effects: imported by the local runtime, the tests and the engines CLI.
 */
export type EngineName = 'postgres' | 'redis' | 'kafka' | 'opensearch' | 'mongo' | 'dynamodb' | 'chain';

export const ENGINE_NAMES: readonly EngineName[] = ['postgres', 'redis', 'kafka', 'opensearch', 'mongo', 'dynamodb', 'chain'];

export interface Endpoints {
  readonly pgUrl: string;
  readonly redisUrl: string;
  readonly kafkaBrokers: string[];
  readonly opensearchUrl: string;
  readonly mongoUrl: string;
  readonly dynamodbEndpoint: string;
  /** An Ethereum JSON-RPC node (anvil locally), chain id 31337. */
  readonly chainRpcUrl: string;
}

/**
 * ENGINES_PORT_OFFSET (default 0) shifts every local port, so a second clone can run its own
 * engines beside the first (used to measure a cold install without stopping the shared engines).
 */
function portOffset(): number {
  const raw = process.env.ENGINES_PORT_OFFSET?.trim();
  if (!raw) return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_PORT_OFFSET) throw new Error(`invalid environment: ENGINES_PORT_OFFSET must be an integer 0..${MAX_PORT_OFFSET} (the ports must stay below ${EPHEMERAL_PORT_LOW}), got "${raw}"`);
  return n;
}

/**
 * Linux hands out local ports for outgoing connections from 32768 up (net.ipv4.ip_local_port_range,
 * 32768-60999 by default). A listening port inside that range can be taken by any client socket,
 * and stays taken while that socket sits in TIME_WAIT: the engines once used 55432-59300, and a
 * Kafka start failed with "Address already in use" because a PostgreSQL client connection had been
 * given local port 59092. So every engine port, offset included, stays below it.
 */
export const EPHEMERAL_PORT_LOW = 32768;
const BASE_PORTS = {
  postgres: 15432,
  redis: 16379,
  kafka: 19092,
  kafkaController: 19093,
  opensearch: 19200,
  opensearchTransport: 19300,
  mongo: 17017,
  dynamodb: 18000,
  chain: 18545,
} as const;
export const MAX_PORT_OFFSET = EPHEMERAL_PORT_LOW - 1 - Math.max(...Object.values(BASE_PORTS));
/** ENGINES_PORT_OFFSET, validated. */
export const PORT_OFFSET = portOffset();

/**
 * Fixed local ports: not the engines' usual ones (so they do not clash with a developer's own
 * servers) and below the ephemeral range (see EPHEMERAL_PORT_LOW).
 */
export const PORTS = {
  postgres: BASE_PORTS.postgres + PORT_OFFSET,
  redis: BASE_PORTS.redis + PORT_OFFSET,
  kafka: BASE_PORTS.kafka + PORT_OFFSET,
  kafkaController: BASE_PORTS.kafkaController + PORT_OFFSET,
  opensearch: BASE_PORTS.opensearch + PORT_OFFSET,
  opensearchTransport: BASE_PORTS.opensearchTransport + PORT_OFFSET,
  mongo: BASE_PORTS.mongo + PORT_OFFSET,
  dynamodb: BASE_PORTS.dynamodb + PORT_OFFSET,
  chain: BASE_PORTS.chain + PORT_OFFSET,
} as const;

export const DEFAULTS = {
  PG_URL: `postgres://shop:shop@127.0.0.1:${PORTS.postgres}/shop`,
  REDIS_URL: `redis://127.0.0.1:${PORTS.redis}`,
  KAFKA_BROKERS: `127.0.0.1:${PORTS.kafka}`,
  OPENSEARCH_URL: `http://127.0.0.1:${PORTS.opensearch}`,
  MONGO_URL: `mongodb://127.0.0.1:${PORTS.mongo}/shop`,
  DYNAMODB_ENDPOINT: `http://127.0.0.1:${PORTS.dynamodb}`,
  CHAIN_RPC_URL: `http://127.0.0.1:${PORTS.chain}`,
} as const;

export type EndpointVar = keyof typeof DEFAULTS;

/** The env var that points each engine at an existing endpoint. */
export const ENGINE_ENV_VAR: Record<EngineName, EndpointVar> = {
  postgres: 'PG_URL',
  redis: 'REDIS_URL',
  kafka: 'KAFKA_BROKERS',
  opensearch: 'OPENSEARCH_URL',
  mongo: 'MONGO_URL',
  dynamodb: 'DYNAMODB_ENDPOINT',
  chain: 'CHAIN_RPC_URL',
};

function read(name: EndpointVar, env: NodeJS.ProcessEnv): string {
  const v = env[name]?.trim();
  return v ? v : DEFAULTS[name];
}

/** True when the user pointed this engine at an existing endpoint (so we neither install nor start it). */
export function isExternal(engine: EngineName, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[ENGINE_ENV_VAR[engine]]?.trim());
}

export function endpoints(env: NodeJS.ProcessEnv = process.env): Endpoints {
  return {
    pgUrl: read('PG_URL', env),
    redisUrl: read('REDIS_URL', env),
    kafkaBrokers: read('KAFKA_BROKERS', env).split(',').map((s) => s.trim()).filter(Boolean),
    opensearchUrl: read('OPENSEARCH_URL', env),
    mongoUrl: read('MONGO_URL', env),
    dynamodbEndpoint: read('DYNAMODB_ENDPOINT', env),
    chainRpcUrl: read('CHAIN_RPC_URL', env),
  };
}

/**
 * The environment a local process (handler, runtime, test worker) needs to reach the engines:
 * the endpoint variables plus dummy AWS credentials and region for local SDK clients (DynamoDB).
 * Existing AWS_* values are kept.
 */
export function engineEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const e = endpoints(env);
  return {
    PG_URL: e.pgUrl,
    REDIS_URL: e.redisUrl,
    KAFKA_BROKERS: e.kafkaBrokers.join(','),
    OPENSEARCH_URL: e.opensearchUrl,
    MONGO_URL: e.mongoUrl,
    DYNAMODB_ENDPOINT: e.dynamodbEndpoint,
    CHAIN_RPC_URL: e.chainRpcUrl,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? 'local',
    AWS_REGION: env.AWS_REGION ?? 'us-east-1',
  };
}

/** True when something accepts connections on a managed engine's port (engines already running). */
export async function anyEngineRunning(only: readonly EngineName[] = ENGINE_NAMES): Promise<boolean> {
  const { connect } = await import('node:net');
  const answers = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      const done = (ok: boolean) => {
        s.destroy();
        resolve(ok);
      };
      s.setTimeout(500, () => done(false));
      s.once('connect', () => done(true));
      s.once('error', () => done(false));
    });
  const managed = only.filter((n) => !isExternal(n));
  return (await Promise.all(managed.map((n) => answers(PORTS[n])))).some(Boolean);
}

/** The main port of each engine (what its probe connects to). */
export const ENGINE_PORT: Record<EngineName, number> = {
  postgres: PORTS.postgres,
  redis: PORTS.redis,
  kafka: PORTS.kafka,
  opensearch: PORTS.opensearch,
  mongo: PORTS.mongo,
  dynamodb: PORTS.dynamodb,
  chain: PORTS.chain,
};

/**
 * The engine ports inside a machine's range of local ports for outgoing connections (Linux:
 * /proc/sys/net/ipv4/ip_local_port_range, "32768 60999" by default): those can be taken by a client
 * socket at any time, so the engines CLI warns about each.
 */
export function portsInLocalRange(range: string | undefined): string[] {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(range ?? '');
  if (!m) return [];
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return Object.entries(PORTS)
    .filter(([, port]) => port >= lo && port <= hi)
    .map(([name, port]) => `${name} ${port}`);
}

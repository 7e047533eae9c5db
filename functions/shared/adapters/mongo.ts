import { existsSync } from 'node:fs';
import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import { secretString } from './secrets';

/**
 * Mongo-wire client (DocumentDB on AWS, FerretDB locally), made once per cold start.
 * Locally: MONGO_URL=mongodb://127.0.0.1:17017/shop.
 * On AWS: MONGO_HOST (cluster endpoint), MONGO_SECRET_ARN ({username, password, port?}), TLS with
 * the AWS CA bundle (MONGO_TLS_CA_FILE, default the Lambda runtime's /var/runtime/ca-cert.pem which
 * includes the RDS/DocumentDB CAs). DocumentDB does not support retryable writes: retryWrites=false.
 */
let client: Promise<MongoClient> | undefined;

export const DEFAULT_DOCDB_CA_FILE = '/var/runtime/ca-cert.pem';

async function connect(): Promise<MongoClient> {
  const maxPoolSize = Number(process.env.MONGO_POOL_MAX ?? (process.env.AWS_LAMBDA_FUNCTION_NAME ? 2 : 20));
  const base: MongoClientOptions = { maxPoolSize, retryWrites: false, serverSelectionTimeoutMS: 10_000 };
  if (process.env.MONGO_URL) return MongoClient.connect(process.env.MONGO_URL, base);
  const host = process.env.MONGO_HOST;
  const arn = process.env.MONGO_SECRET_ARN;
  if (!host || !arn) throw new Error('invalid environment: set MONGO_URL, or MONGO_HOST and MONGO_SECRET_ARN');
  const secret = JSON.parse(await secretString(arn)) as { username: string; password: string; port?: number };
  const caFile = process.env.MONGO_TLS_CA_FILE ?? DEFAULT_DOCDB_CA_FILE;
  if (!existsSync(caFile)) throw new Error(`invalid environment: MONGO_TLS_CA_FILE ${caFile} does not exist`);
  const port = Number(process.env.MONGO_PORT ?? secret.port ?? 27017);
  const url = `mongodb://${encodeURIComponent(secret.username)}:${encodeURIComponent(secret.password)}@${host}:${port}/?replicaSet=rs0&readPreference=primary`;
  return MongoClient.connect(url, { ...base, tls: true, tlsCAFile: caFile });
}

export function getMongo(): Promise<MongoClient> {
  client ??= connect();
  client.catch(() => (client = undefined));
  return client;
}

/** The database: `name`, else the one in MONGO_URL, else MONGO_DB, else 'shop'. */
export async function getMongoDb(name?: string): Promise<Db> {
  const c = await getMongo();
  return c.db(name ?? process.env.MONGO_DB ?? (process.env.MONGO_URL ? undefined : 'shop'));
}

export async function closeMongo(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await (await c).close().catch(() => undefined);
}

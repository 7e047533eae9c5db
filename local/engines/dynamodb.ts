/**
 * DynamoDB locally: moto's server (PyPI `moto[server]`, in .cache/venv) on 127.0.0.1:18000.
 * Why not DynamoDB Local: its licence is the vendor's own terms, not open source, so it is not used
 * here. Why not dynalite (npm): it lacks TransactWriteItems, which the idempotency and saga code uses.
 * moto keeps its tables in memory: a restart starts empty (tests create their tables).
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { PORTS, type Endpoints } from './endpoints';
import { ensurePythonTools, pythonToolsInstalled, venvBin } from './python';
import type { Engine, Log } from './types';
import { spawnDaemon, stateDir } from './util';

export const dynamodb: Engine = {
  name: 'dynamodb',
  title: 'DynamoDB (moto server 5.2)',
  marker: 'moto_server',
  startTimeoutMs: 60_000,
  where: (e: Endpoints) => e.dynamodbEndpoint,
  installed: () => pythonToolsInstalled(),

  async install(log: Log) {
    await ensurePythonTools(log);
  },

  async launch() {
    return spawnDaemon('dynamodb', venvBin('python'), [venvBin('moto_server'), '-H', '127.0.0.1', '-p', String(PORTS.dynamodb)], {
      cwd: stateDir('dynamodb'),
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
  },

  async probe(e: Endpoints) {
    const c = new DynamoDBClient({
      endpoint: e.dynamodbEndpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local' },
      maxAttempts: 1,
      requestHandler: { requestTimeout: 2000, connectionTimeout: 1500 } as never,
    });
    try {
      await c.send(new ListTablesCommand({ Limit: 1 }));
      return true;
    } catch {
      return false;
    } finally {
      c.destroy();
    }
  },
};

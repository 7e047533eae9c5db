/**
 * The outbox's EventBridge sends are bounded: a PutEvents the endpoint accepts and never answers
 * fails (the client's request timeout), so the bus sender moves on and the next send goes through,
 * instead of every later bus send in the process waiting behind the hung one. A real HTTP server
 * plays the endpoint (AWS_ENDPOINT_URL_EVENTBRIDGE, as the local runtime sets it); Kafka is the real one.
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.LOGLEVEL ?? 'CRITICAL';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { endpoints } from '../../../local/engines/endpoints';
import { createTopics } from '../../../local/runtime';
import { manifest } from '../../../lib/manifest';
import { closeProducer } from '../../../functions/shared/adapters/kafka';
import { refusedForItself, send, type OutboxMessage } from '../../../functions/shared/outbox';
import { envelope } from '../../../functions/shared/events';

jest.setTimeout(60000);

/** Far longer than any timeout of the sender, so without one the hung request outlives the test. */
const HANG_MS = 60_000;

let server: http.Server;
const hung: http.ServerResponse[] = [];
const answered: string[] = []; // DetailType of each event the endpoint answered
const saved = { ...process.env };

beforeAll(async () => {
  process.env.KAFKA_BROKERS ??= endpoints().kafkaBrokers.join(',');
  await createTopics(manifest, endpoints().kafkaBrokers);
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const entries = (JSON.parse(body) as { Entries: Array<{ DetailType: string }> }).Entries;
      if (entries.some((e) => e.DetailType === 'Hang')) {
        hung.push(res); // accepted, never answered (until the server closes, HANG_MS at the latest)
        setTimeout(() => res.destroy(), HANG_MS).unref();
        return;
      }
      answered.push(...entries.map((e) => e.DetailType));
      if (entries.some((e) => e.DetailType === 'TooLarge')) {
        // What EventBridge answers for an entry over its 256 KB.
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ValidationException' });
        res.end(JSON.stringify({ __type: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' }));
        return;
      }
      const code: Record<string, string> = { Malformed: 'MalformedDetail', Throttled: 'ThrottlingException' };
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          FailedEntryCount: entries.filter((e) => code[e.DetailType]).length,
          Entries: entries.map((e) => (code[e.DetailType] ? { ErrorCode: code[e.DetailType], ErrorMessage: e.DetailType } : { EventId: randomUUID() })),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
});
afterAll(async () => {
  for (const res of hung) res.destroy();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await closeProducer();
  process.env = saved;
});

const message = (type: string): OutboxMessage => {
  const key = randomUUID();
  return { topic: 'inventory-events', key, event: envelope({ type, source: 'shop.test', orderId: key, data: {} }) };
};

it('a PutEvents that is never answered fails, and the next bus send is not stuck behind it', async () => {
  await expect(send([message('Hang')], { eventBusName: 'shop-test' })).rejects.toThrow();
  expect(hung.length).toBeGreaterThanOrEqual(1);
  // The caller above gave up after its own wait; the sender must have given up on the request too.
  await expect(send([message('Fine')], { eventBusName: 'shop-test' })).resolves.toBeUndefined();
  expect(answered).toContain('Fine');
});

it("tells the bus refusing an event for itself (the relay passes over it) from the bus failing (counted toward it being down)", async () => {
  const failure = (type: string) => send([message(type)], { eventBusName: 'shop-test' }).then(() => undefined, (err: unknown) => err);
  const tooLarge = await failure('TooLarge');
  expect(tooLarge).toMatchObject({ name: 'ValidationException' });
  expect(refusedForItself(tooLarge)).toBe(true);
  const malformed = await failure('Malformed');
  expect(String(malformed)).toMatch(/MalformedDetail/);
  expect(refusedForItself(malformed)).toBe(true);
  const throttled = await failure('Throttled');
  expect(String(throttled)).toMatch(/ThrottlingException/);
  expect(refusedForItself(throttled)).toBe(false);
});

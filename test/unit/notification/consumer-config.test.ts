/**
 * The consumer's sender choice: only the local sender is built, and it is refused in Lambda (it
 * would mark notifications SENT without sending them): a deployed consumer loads (the CDK bundle
 * check) but fails every batch with NotImplementedError before touching a store.
 */
import type { MSKEvent } from 'aws-lambda';

type Mod = typeof import('../../../functions/notification/handlers/consumer');
function load(env: Record<string, string | undefined>): Mod {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    let mod: Mod | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require('../../../functions/notification/handlers/consumer') as Mod;
    });
    return mod!;
  } finally {
    process.env = saved;
  }
}
const batch = { eventSource: 'aws:kafka', records: { 'order-completed-0': [{ topic: 'order-completed', partition: 0, offset: 0, value: 'bm90IGpzb24=' }] } } as unknown as MSKEvent;

describe('NotificationConsumer sender config', () => {
  it('uses the local sender outside Lambda by default', () => {
    const m = load({ NOTIFICATION_SENDER: undefined, AWS_LAMBDA_FUNCTION_NAME: undefined });
    expect(m.resolveSender({})).toHaveProperty('send');
    expect(m.resolveSender({ NOTIFICATION_SENDER: 'local' })).toHaveProperty('send');
  });

  it('has no sender in Lambda: the handler loads but refuses every batch before reading it', async () => {
    const m = load({ NOTIFICATION_SENDER: undefined, AWS_LAMBDA_FUNCTION_NAME: 'fn' });
    expect(m.resolveSender({ AWS_LAMBDA_FUNCTION_NAME: 'fn' })).toMatch(/no AWS notification sender is built/);
    expect(m.resolveSender({ AWS_LAMBDA_FUNCTION_NAME: 'fn', NOTIFICATION_SENDER: 'local' })).toMatch(/refused in Lambda/);
    await expect(m.handler(batch)).rejects.toMatchObject({ name: 'NotImplementedError', message: expect.stringMatching(/no AWS notification sender/) });
    const local = load({ NOTIFICATION_SENDER: 'local', AWS_LAMBDA_FUNCTION_NAME: 'fn' });
    await expect(local.handler(batch)).rejects.toMatchObject({ name: 'NotImplementedError', message: expect.stringMatching(/refused in Lambda/) });
  });

  it('fails at load on an unknown sender', () => {
    expect(() => load({ NOTIFICATION_SENDER: 'ses', AWS_LAMBDA_FUNCTION_NAME: undefined })).toThrow(/NOTIFICATION_SENDER/);
  });
});

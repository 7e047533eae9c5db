import type { PlatformManifest } from '../../../lib/manifest';
import { HandlerRegistry, LambdaInvocationError } from '../../../local/runtime/handlers';

const entry = 'test/fixtures/runtime/handlers.ts';
const h = (name: string, exp: string) => ({ name, kind: 'task' as const, entry, export: exp, description: 't', stores: [], implemented: true });
const manifest: PlatformManifest = {
  eventSourcePrefix: 'shop',
  topics: [],
  stateMachines: [],
  services: [{ name: 'platform', description: 't', handlers: [h('Slow', 'slow'), h('Shapes', 'shapes'), h('Named', 'throwsNamed'), h('Missing', 'nope')] }],
};

describe('handler invocation (Lambda semantics)', () => {
  it('passes a Lambda context and round-trips event and result through JSON', async () => {
    const out = await new HandlerRegistry(manifest).invoke('Shapes', { a: 1, skip: undefined });
    expect(out).toEqual({ received: { a: 1 }, functionName: 'Shapes', hasTimeLeft: true, when: '1970-01-01T00:00:00.000Z' });
  });

  it('reports a thrown error with its name as errorType', async () => {
    const err = (await new HandlerRegistry(manifest).invoke('Named', {}).catch((e: unknown) => e)) as LambdaInvocationError;
    expect(err).toBeInstanceOf(LambdaInvocationError);
    expect(err.toPayload()).toMatchObject({ errorType: 'OutOfStockError', errorMessage: 'sku-1 has 0' });
    expect(err.name).toBe('OutOfStockError');
  });

  it('throws Sandbox.Timedout when the handler runs past its timeout', async () => {
    await expect(new HandlerRegistry(manifest, undefined, 50).invoke('Slow', {})).rejects.toMatchObject({ name: 'Sandbox.Timedout', message: 'Task timed out after 0.05 seconds' });
  });

  it('throws naming the entry when the export does not exist', async () => {
    await expect(new HandlerRegistry(manifest).invoke('Missing', {})).rejects.toThrow(/has no exported function 'nope'/);
    await expect(new HandlerRegistry(manifest).invoke('Unknown', {})).rejects.toThrow(/no handler named 'Unknown'/);
  });
});

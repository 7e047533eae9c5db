import { z } from 'zod';
import { TransientError, ValidationError } from '../../../functions/shared/errors';
import { isTransientInfraError, taskHandler } from '../../../functions/shared/saga-task';
import { PaymentDeclinedError } from '../../../functions/payment/domain/errors';

class Minified extends TransientError {}

describe('saga task handler', () => {
  const handler = taskHandler('svc', {
    ok: { schema: z.object({ action: z.literal('ok'), n: z.number() }), run: async (i: { n: number }) => ({ doubled: i.n * 2 }) },
    transient: { schema: z.object({ action: z.literal('transient') }), run: async () => Promise.reject(new Minified('flaky')) },
    declined: { schema: z.object({ action: z.literal('declined') }), run: async () => Promise.reject(new PaymentDeclinedError('card_declined')) },
    pg: { schema: z.object({ action: z.literal('pg') }), run: async () => Promise.reject(Object.assign(new Error('deadlock detected'), { code: '40P01' })) },
  });

  it('dispatches on action with the parsed payload', async () => {
    await expect(handler({ action: 'ok', n: 2 })).resolves.toEqual({ doubled: 4 });
  });
  it('throws ValidationError naming the field for an unknown action or a bad payload', async () => {
    await expect(handler({ action: 'nope' })).rejects.toMatchObject({ issues: [{ path: 'action' }] });
    await expect(handler({ action: 'ok', n: 'x' })).rejects.toBeInstanceOf(ValidationError);
  });
  it('throws errors under the names the ASL matches on', async () => {
    await expect(handler({ action: 'transient' })).rejects.toMatchObject({ name: 'TransientError' });
    await expect(handler({ action: 'declined' })).rejects.toMatchObject({ name: 'PaymentDeclinedError' });
  });
  it('throws TransientError for a PostgreSQL deadlock or a refused connection (retried by the ASL)', async () => {
    await expect(handler({ action: 'pg' })).rejects.toMatchObject({ name: 'TransientError', message: expect.stringContaining('deadlock') });
    expect(isTransientInfraError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientInfraError(Object.assign(new Error('x'), { code: '23505' }))).toBe(false);
  });
});

import { EnvelopeSchema } from '../../shared/events';
import { zodIssues } from '../../shared/http';
import type { SagaStarter } from '../domain/saga-starter';
import { OrderCreatedData, type OrderCreated } from '../domain/schemas';

export type ParsedOrderCreated = { ok: true; data: OrderCreated } | { ok: false; error: string };

/** Parses an order-created message value (the event envelope as JSON). Pure. */
export function parseOrderCreated(value: string): ParsedOrderCreated {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return { ok: false, error: 'value is not JSON' };
  }
  const env = EnvelopeSchema.safeParse(json);
  if (!env.success) return { ok: false, error: `not an event envelope: ${zodIssues(env.error).map((i) => `${i.path}: ${i.message}`).join('; ')}` };
  if (env.data.type !== 'OrderCreated') return { ok: false, error: `unexpected event type ${env.data.type}` };
  const data = OrderCreatedData.safeParse(env.data.data);
  if (!data.success) return { ok: false, error: `invalid OrderCreated data: ${zodIssues(data.error, 'data').map((i) => `${i.path}: ${i.message}`).join('; ')}` };
  return { ok: true, data: data.data };
}

/** Starts the saga for one order; the execution name is the order id (a duplicate starts nothing). */
export async function startSaga(deps: { starter: SagaStarter }, order: OrderCreated): Promise<{ started: boolean }> {
  return deps.starter.start(order.orderId, order);
}

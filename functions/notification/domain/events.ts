import { EnvelopeSchema } from '../../shared/events';
import { OrderCompletedData, OrderFailedData } from '../../order/domain/schemas';
import { UserRegisteredData } from '../../user/domain/schemas';
import { orderCancelled, orderConfirmed, welcome, type Rendered } from './templates';
import { isUuid } from '../../shared/uuid';

/** A notification to send: which event asked for it, to which user, rendered. */
export interface NotificationRequest extends Rendered {
  readonly eventId: string;
  readonly eventType: string;
  readonly userId: string;
}

export type ParsedEvent =
  | { readonly kind: 'notify'; readonly request: NotificationRequest }
  /** A well-formed envelope of a type nothing is sent for (skipped, counted). */
  | { readonly kind: 'ignored'; readonly type: string }
  /** Not JSON, not an envelope, or a known type whose data breaks its schema: dead-letter. */
  | { readonly kind: 'poison'; readonly error: string };


function issues(e: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string }> }): string {
  return e.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** The event types notifications are sent for, each with its data schema and template. */
type Handle = (data: unknown) => { ok: true; userId: string; rendered: Rendered } | { ok: false; error: string };
// A Map, not an object literal: an event type named 'constructor' or 'toString' is just unknown.
const HANDLED = new Map<string, Handle>(Object.entries({
  OrderCompleted: (data) => {
    const d = OrderCompletedData.safeParse(data);
    return d.success ? { ok: true, userId: d.data.userId, rendered: orderConfirmed(d.data) } : { ok: false, error: `OrderCompleted data: ${issues(d.error)}` };
  },
  OrderFailed: (data) => {
    const d = OrderFailedData.safeParse(data);
    return d.success ? { ok: true, userId: d.data.userId, rendered: orderCancelled(d.data) } : { ok: false, error: `OrderFailed data: ${issues(d.error)}` };
  },
  UserRegistered: (data) => {
    const d = UserRegisteredData.safeParse(data);
    return d.success ? { ok: true, userId: d.data.userId, rendered: welcome(d.data) } : { ok: false, error: `UserRegistered data: ${issues(d.error)}` };
  },
} satisfies Record<string, Handle>));

/** Parses one Kafka message value (the shared envelope, JSON) into what to send. */
export function parseNotificationEvent(raw: string): ParsedEvent {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { kind: 'poison', error: 'not JSON' };
  }
  const env = EnvelopeSchema.safeParse(json);
  if (!env.success) return { kind: 'poison', error: `not an event envelope: ${issues(env.error)}` };
  const handle = HANDLED.get(env.data.type);
  if (!handle) return { kind: 'ignored', type: env.data.type };
  // The notifications table keys on (event_id, template): an envelope id is a uuid.
  if (!isUuid(env.data.id)) return { kind: 'poison', error: 'id: not a uuid' };
  const out = handle(env.data.data);
  if (!out.ok) return { kind: 'poison', error: out.error };
  return { kind: 'notify', request: { ...out.rendered, eventId: env.data.id, eventType: env.data.type, userId: out.userId } };
}

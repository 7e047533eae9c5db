import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * One envelope for every domain event, on Kafka and on EventBridge alike:
 * id, type, time, source, orderId (when the event concerns an order), data, version.
 * Events are contracts: each type has a name, a source, a version and a data schema.
 */
export const EnvelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  time: z.string().datetime({ offset: true }),
  source: z.string().min(1),
  orderId: z.string().optional(),
  version: z.number().int().positive(),
  data: z.unknown(),
});
export type Envelope<T = unknown> = Omit<z.infer<typeof EnvelopeSchema>, 'data'> & { data: T };

export function envelope<T>(args: { type: string; source: string; data: T; orderId?: string; version?: number; id?: string; time?: Date }): Envelope<T> {
  return {
    id: args.id ?? randomUUID(),
    type: args.type,
    time: (args.time ?? new Date()).toISOString(),
    source: args.source,
    ...(args.orderId ? { orderId: args.orderId } : {}),
    version: args.version ?? 1,
    data: args.data,
  };
}

/** The retention's window walk (use-cases/purge-step-records.ts) over a simulated order history; its SQL runs in test/integration/saga/step-retention.test.ts. */
import type { StepRecordPurge } from '../../../functions/order/adapters/pg-orders';
import { KEPT_LISTED, purgeOldStepRecords, retentionLagHours } from '../../../functions/order/use-cases/purge-step-records';

/** A history of `ratePerS` orders a second from `start` to `cutoff` (seconds); each purge takes its window from a watermark, as the SQL does. */
function history(start: number, cutoff: number, ratePerS: number) {
  let watermark = start;
  const widths: number[] = [];
  const purge = async (_days: number, windowSeconds: number): Promise<StepRecordPurge> => {
    widths.push(windowSeconds);
    const from = watermark;
    const to = Math.min(from + windowSeconds, cutoff);
    watermark = to;
    const orders = Math.round((to - from) * ratePerS);
    return { from: new Date(from * 1000), to: new Date(to * 1000), orders, records: orders * 5, purgedOrders: orders, kept: [], caughtUp: to >= cutoff };
  };
  return { purge, widths };
}

describe('purgeOldStepRecords', () => {
  it('narrows its window where orders are dense, to about the target per window', async () => {
    const h = history(0, 3600, 100); // 100 orders/s for an hour
    const r = await purgeOldStepRecords({ retentionDays: 30, targetOrdersPerWindow: 1000, maxSeconds: 60 }, { purge: h.purge });
    expect(r).toMatchObject({ orders: 360000, records: 1800000, purgedOrders: 360000, caughtUp: true });
    expect(r.watermark).toEqual(new Date(3600 * 1000));
    // 60 s (6000 orders) -> 30 -> 15 (1500, within 1000..2000) and there it stays.
    expect(h.widths.slice(0, 4)).toEqual([60, 30, 15, 15]);
    expect(Math.max(...h.widths.slice(2))).toBe(15);
  });

  it('widens it over empty stretches, up to a day', async () => {
    const h = history(0, 400 * 86400, 0);
    const r = await purgeOldStepRecords({ retentionDays: 30, targetOrdersPerWindow: 1000, maxSeconds: 60 }, { purge: h.purge });
    expect(r.caughtUp).toBe(true);
    expect(h.widths.slice(0, 4)).toEqual([60, 120, 240, 480]);
    expect(Math.max(...h.widths)).toBe(86400);
    expect(r.windows).toBeLessThan(420);
  });

  it('stops starting windows when its time is up and reports where it stopped; the next run goes on from there', async () => {
    const h = history(0, 86400, 10);
    let clock = 0;
    const now = () => (clock += 1000); // every window "takes" a second
    const first = await purgeOldStepRecords({ retentionDays: 30, targetOrdersPerWindow: 100, maxSeconds: 5, firstWindowSeconds: 10 }, { purge: h.purge, now });
    expect(first.caughtUp).toBe(false);
    expect(first.windows).toBe(5);
    const stoppedAt = first.watermark!.getTime();
    expect(stoppedAt).toBeGreaterThan(0);
    const second = await purgeOldStepRecords({ retentionDays: 30, targetOrdersPerWindow: 100, maxSeconds: 3600, firstWindowSeconds: 10 }, { purge: h.purge });
    expect(second.caughtUp).toBe(true);
    expect(first.orders + second.orders).toBe(864000);
  });

  it('reports the watermark it leaves when the cutoff is behind it (a shorter retention set, then a longer one)', async () => {
    const purge = async (): Promise<StepRecordPurge> => ({ from: new Date(5000), to: new Date(1000), orders: 0, records: 0, purgedOrders: 0, kept: [], caughtUp: true });
    const r = await purgeOldStepRecords({ retentionDays: 60, targetOrdersPerWindow: 100, maxSeconds: 60 }, { purge });
    expect(r).toMatchObject({ windows: 1, orders: 0, caughtUp: true });
    expect(r.watermark).toEqual(new Date(5000));
  });

  it('reports how far it is behind the cutoff, in hours: 0 once caught up', () => {
    const now = Date.UTC(2026, 11, 1);
    const cutoff = now - 30 * 86400_000;
    expect(retentionLagHours({ caughtUp: true, watermark: new Date(cutoff - 999 * 3600_000) }, 30, now)).toBe(0);
    expect(retentionLagHours({ caughtUp: false, watermark: new Date(cutoff - 36 * 3600_000) }, 30, now)).toBe(36);
    expect(retentionLagHours({ caughtUp: false, watermark: new Date(cutoff - 90 * 60_000) }, 30, now)).toBe(1.5);
    expect(retentionLagHours({ caughtUp: false, watermark: new Date(cutoff + 60_000) }, 30, now)).toBe(0);
  });

  it('counts every kept order and names the first thousand', async () => {
    let n = 0;
    const purge = async (): Promise<StepRecordPurge> => {
      n++;
      const kept = Array.from({ length: 600 }, (_, i) => `order-${n}-${i}`);
      return { from: new Date(n * 1000), to: new Date((n + 1) * 1000), orders: 600, records: 0, purgedOrders: 0, kept, caughtUp: n === 3 };
    };
    const r = await purgeOldStepRecords({ retentionDays: 30, targetOrdersPerWindow: 500, maxSeconds: 60 }, { purge });
    expect(r.keptCount).toBe(1800);
    expect(r.kept).toHaveLength(KEPT_LISTED);
    expect(r.kept[0]).toBe('order-1-0');
    expect(r.kept[KEPT_LISTED - 1]).toBe('order-2-399');
  });
});

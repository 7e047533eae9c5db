import type { PlatformManifest } from '../../../lib/manifest';
import { HandlerRegistry } from '../../../local/runtime/handlers';
import { scheduledEvent, startSchedules } from '../../../local/runtime/schedules';
import * as fixtures from '../../fixtures/runtime/handlers';

const manifest: PlatformManifest = {
  eventSourcePrefix: 'shop',
  topics: [],
  stateMachines: [],
  services: [
    {
      name: 'platform',
      description: 't',
      handlers: [{ name: 'Tick', kind: 'schedule', entry: 'test/fixtures/runtime/handlers.ts', export: 'tick', description: 't', schedule: 'rate(1 minute)', stores: [], implemented: true }],
    },
  ],
};

describe('local schedules', () => {
  it('builds an EventBridge Scheduled Event', () => {
    expect(scheduledEvent('OrderOutboxRelay', new Date('2026-01-01T00:00:00.123Z'))).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: '2026-01-01T00:00:00Z',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/shop-local/OrderOutboxRelaySchedule'],
      detail: {},
    });
  });

  it('never overlaps runs of the same handler', async () => {
    const s = startSchedules({ manifest, handlers: new HandlerRegistry(manifest), intervalMs: 1 });
    await Promise.all([s.runNow('Tick'), s.runNow('Tick'), s.runNow('Tick')]);
    await s.stop();
    const mod = jest.requireActual('../../fixtures/runtime/handlers') as typeof fixtures;
    expect(mod.ticks.length).toBeGreaterThanOrEqual(3);
    expect(mod.maxRunning).toBe(1);
    expect(mod.ticks[0]).toEqual({ source: 'aws.events', detailType: 'Scheduled Event', rule: expect.stringMatching(/rule\/shop-local\/TickSchedule$/) });
  });

  it('rejects runNow for a handler that is not scheduled', async () => {
    const s = startSchedules({ manifest, handlers: new HandlerRegistry(manifest), intervalMs: 1000 });
    await expect(s.runNow('Nope')).rejects.toThrow(/not a running schedule/);
    await s.stop();
  });

  it("runs a handler with its own localIntervalSeconds at that interval, the others at the runtime's", async () => {
    const mod = jest.requireActual('../../fixtures/runtime/handlers') as typeof fixtures;
    const tick = manifest.services[0]!.handlers[0]!;
    const twoHandlers: PlatformManifest = {
      ...manifest,
      services: [{ ...manifest.services[0]!, handlers: [tick, { ...tick, name: 'SlowTick', localIntervalSeconds: 3600 }] }],
    };
    const before = mod.ticks.length;
    const s = startSchedules({ manifest: twoHandlers, handlers: new HandlerRegistry(twoHandlers), intervalMs: 5 });
    await new Promise((r) => setTimeout(r, 150));
    await s.stop();
    // Both run the same fixture export; only Tick's runs happened (SlowTick is due in an hour).
    const runs = mod.ticks.slice(before);
    expect(s.handlers).toEqual(['Tick', 'SlowTick']);
    expect(runs.filter((t) => t.rule?.endsWith('/TickSchedule')).length).toBeGreaterThanOrEqual(3);
    expect(runs.filter((t) => t.rule?.endsWith('/SlowTickSchedule'))).toEqual([]);
  });
});

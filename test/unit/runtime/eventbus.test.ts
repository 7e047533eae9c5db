import type { PlatformManifest } from '../../../lib/manifest';
import { LocalEventBus } from '../../../local/runtime/eventbus';
import { HandlerRegistry } from '../../../local/runtime/handlers';
import { ruleEvents } from '../../fixtures/runtime/handlers';

const manifest: PlatformManifest = {
  eventSourcePrefix: 'shop',
  topics: [],
  stateMachines: [],
  services: [
    {
      name: 'notification',
      description: 't',
      handlers: [
        {
          name: 'OnOrderEnd',
          kind: 'rule',
          entry: 'test/fixtures/runtime/handlers.ts',
          export: 'ruleTarget',
          description: 't',
          rules: [{ name: 'OrderEnded', pattern: { source: ['shop.order'], 'detail-type': ['OrderCompleted', 'OrderFailed'] } }],
          stores: [],
          implemented: true,
        },
      ],
    },
  ],
};

describe('local EventBridge bus', () => {
  it('records every event and invokes the rule target of matching ones with the EventBridge shape', async () => {
    const bus = new LocalEventBus(manifest, new HandlerRegistry(manifest));
    const res = bus.putEvents([
      { Source: 'shop.order', DetailType: 'OrderCompleted', Detail: JSON.stringify({ orderId: 'o-1' }) },
      { Source: 'shop.order', DetailType: 'OrderPlaced', Detail: { orderId: 'o-2' } },
    ]);
    await bus.drain();
    expect(res.FailedEntryCount).toBe(0);
    expect(bus.events).toHaveLength(2);
    expect(ruleEvents).toHaveLength(1);
    expect(ruleEvents[0]).toMatchObject({ version: '0', source: 'shop.order', 'detail-type': 'OrderCompleted', account: '000000000000', region: 'us-east-1', detail: { orderId: 'o-1' } });
    expect(ruleEvents[0]).not.toHaveProperty('event-bus-name');
    expect(bus.deliveries).toEqual([{ rule: 'OrderEnded', handler: 'OnOrderEnd', eventId: res.Entries[0]!.EventId, ok: true }]);
  });

  it('rejects entries without Source or with a malformed Detail, accepting the others', () => {
    const bus = new LocalEventBus(manifest, undefined);
    const res = bus.putEvents([{ DetailType: 'X', Detail: '{}' }, { Source: 's', DetailType: 'X', Detail: '{nope' }, { Source: 's', DetailType: 'X', Detail: '{}' }]);
    expect(res.FailedEntryCount).toBe(2);
    expect(res.Entries.map((e) => e.ErrorCode ?? 'ok')).toEqual(['InvalidArgument', 'MalformedDetail', 'ok']);
    expect(bus.events).toHaveLength(1);
  });

  it('keeps only the newest events when the cap is reached', () => {
    const bus = new LocalEventBus(manifest, undefined, 'b', 3);
    for (let i = 0; i < 5; i++) bus.putEvents([{ Source: 's', DetailType: 'X', Detail: { i } }]);
    expect(bus.events.map((e) => (e.detail as { i: number }).i)).toEqual([2, 3, 4]);
  });

  it('trims in steps: at least the newest `max`, at most a quarter more', () => {
    const bus = new LocalEventBus(manifest, undefined, 'b', 8);
    const seen = () => bus.events.map((e) => (e.detail as { i: number }).i);
    for (let i = 0; i < 10; i++) bus.putEvents([{ Source: 's', DetailType: 'X', Detail: { i } }]);
    expect(seen()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // 8 + 2 allowed
    bus.putEvents([{ Source: 's', DetailType: 'X', Detail: { i: 10 } }]);
    expect(seen()).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

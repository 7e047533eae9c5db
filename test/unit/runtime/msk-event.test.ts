import { buildMskEvent } from '../../../local/runtime/msk-event';

describe('MSK event', () => {
  const msg = (offset: string, value: string, key?: string) => ({
    offset,
    timestamp: '1700000000000',
    key: key ? Buffer.from(key) : null,
    value: Buffer.from(value),
    headers: { 'content-type': Buffer.from('application/json'), trace: [Buffer.from('a'), Buffer.from('b')] },
  });

  it('groups records by topic-partition with base64 key/value and byte-array headers', () => {
    const e = buildMskEvent(
      [
        { topic: 'order-created', partition: 2, messages: [msg('10', '{"a":1}', 'o-1'), msg('11', '{"a":2}')] },
        { topic: 'order-created', partition: 0, messages: [msg('5', 'x')] },
      ],
      ['127.0.0.1:19092'],
    );
    expect(e.eventSource).toBe('aws:kafka');
    expect(e.eventSourceArn).toMatch(/^arn:aws:kafka:us-east-1:000000000000:cluster\//);
    expect(e.bootstrapServers).toBe('127.0.0.1:19092');
    expect(Object.keys(e.records)).toEqual(['order-created-2', 'order-created-0']);
    const r = e.records['order-created-2']![0]!;
    expect(r).toMatchObject({ topic: 'order-created', partition: 2, offset: 10, timestamp: 1700000000000, timestampType: 'CREATE_TIME' });
    expect(Buffer.from(r.key!, 'base64').toString()).toBe('o-1');
    expect(JSON.parse(Buffer.from(r.value, 'base64').toString())).toEqual({ a: 1 });
    expect(r.headers).toEqual([{ 'content-type': [...Buffer.from('application/json')] }, { trace: [97] }, { trace: [98] }]);
    expect(e.records['order-created-2']![1]!.key).toBeUndefined();
  });

  it('leaves out partitions without messages', () => {
    expect(buildMskEvent([{ topic: 't', partition: 0, messages: [] }], ['b:1']).records).toEqual({});
  });
});

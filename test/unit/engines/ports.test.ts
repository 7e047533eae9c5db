/**
 * The engines' fixed ports stay below Linux's range for outgoing connections' local ports
 * (32768-60999 by default): a port in it can be taken by any client socket (a Kafka start once
 * failed with "Address already in use" because a PostgreSQL client had local port 59092).
 */
type Endpoints = typeof import('../../../local/engines/endpoints');

function load(offset: string | undefined): Endpoints {
  const saved = process.env.ENGINES_PORT_OFFSET;
  if (offset === undefined) delete process.env.ENGINES_PORT_OFFSET;
  else process.env.ENGINES_PORT_OFFSET = offset;
  try {
    let mod: Endpoints | undefined;
    jest.isolateModules(() => {
      mod = jest.requireActual<Endpoints>('../../../local/engines/endpoints');
    });
    return mod!;
  } finally {
    if (saved === undefined) delete process.env.ENGINES_PORT_OFFSET;
    else process.env.ENGINES_PORT_OFFSET = saved;
  }
}

describe('engine ports', () => {
  it('are below the ephemeral range by default and at the largest offset allowed', () => {
    const base = load(undefined);
    expect(base.EPHEMERAL_PORT_LOW).toBe(32768);
    expect(Math.max(...Object.values(base.PORTS))).toBeLessThan(32768);
    expect(base.PORTS).toMatchObject({ postgres: 15432, redis: 16379, kafka: 19092, kafkaController: 19093, opensearch: 19200, mongo: 17017, dynamodb: 18000, chain: 18545 });
    const top = load(String(base.MAX_PORT_OFFSET));
    expect(Math.max(...Object.values(top.PORTS))).toBe(32767);
    expect(new Set(Object.values(top.PORTS)).size).toBe(Object.values(top.PORTS).length);
  });

  it('refuses an offset that would push a port into the ephemeral range, naming the limit', () => {
    const { MAX_PORT_OFFSET } = load(undefined);
    expect(() => load(String(MAX_PORT_OFFSET + 1))).toThrow(`ENGINES_PORT_OFFSET must be an integer 0..${MAX_PORT_OFFSET} (the ports must stay below 32768)`);
    expect(() => load('-1')).toThrow(/ENGINES_PORT_OFFSET/);
    expect(() => load('12.5')).toThrow(/ENGINES_PORT_OFFSET/);
  });

  it("lists the ports inside a machine's local port range", () => {
    const { portsInLocalRange, PORTS } = load(undefined);
    expect(portsInLocalRange('32768\t60999\n')).toEqual([]);
    expect(portsInLocalRange('15000 17000')).toEqual([`postgres ${PORTS.postgres}`, `redis ${PORTS.redis}`]);
    expect(portsInLocalRange('1024 65535')).toHaveLength(Object.keys(PORTS).length);
    expect(portsInLocalRange(undefined)).toEqual([]);
    expect(portsInLocalRange('garbage')).toEqual([]);
  });
});

import { DEFAULT_KAFKA_JVM_OPTS, kafkaJvmOpts } from '../../../local/engines/kafka';

describe("the Kafka broker's JVM options", () => {
  it('default to a small G1 heap and the client compiler only (a local broker never earns back C2)', () => {
    expect(kafkaJvmOpts({})).toEqual(DEFAULT_KAFKA_JVM_OPTS);
    expect(kafkaJvmOpts({ ENGINES_KAFKA_JVM_OPTS: '  ' })).toEqual(DEFAULT_KAFKA_JVM_OPTS);
    expect(DEFAULT_KAFKA_JVM_OPTS).toContain('-Xmx512m');
    expect(DEFAULT_KAFKA_JVM_OPTS).toContain('-XX:TieredStopAtLevel=1');
  });

  it('are replaced by ENGINES_KAFKA_JVM_OPTS (so collectors can be compared without two GCs selected)', () => {
    expect(kafkaJvmOpts({ ENGINES_KAFKA_JVM_OPTS: ' -Xmx384m  -XX:+UseSerialGC ' })).toEqual(['-Xmx384m', '-XX:+UseSerialGC']);
  });
});

import { Kafka } from '../../../functions/shared/adapters/kafkajs';
import { EOS_RETRIES_WARNING, kafkaConfig } from '../../../functions/shared/adapters/kafka';

describe('kafkaConfig logger', () => {
  const saved = process.env.KAFKA_BROKERS;
  beforeAll(() => (process.env.KAFKA_BROKERS = '127.0.0.1:1'));
  afterAll(() => (saved === undefined ? delete process.env.KAFKA_BROKERS : (process.env.KAFKA_BROKERS = saved)));

  it('drops only the bounded-retries warning of the idempotent producer, and keeps kafkajs\'s other lines', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const kafka = new Kafka(kafkaConfig('log-test'));
      // Bounded retries on an idempotent producer: kafkajs warns; the platform's logger drops it.
      kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      kafka.logger().warn('another warning');
      const lines = warn.mock.calls.map((c) => String(c[0]));
      expect(lines.some((l) => l.includes(EOS_RETRIES_WARNING))).toBe(false);
      expect(lines.some((l) => l.includes('another warning'))).toBe(true);
      // And an error line goes out as kafkajs's JSON.
      kafka.logger().error('boom', { broker: 'b:1' });
      const err = JSON.parse(String(error.mock.calls.at(-1)![0])) as Record<string, unknown>;
      expect(err).toMatchObject({ level: 'ERROR', message: 'boom', broker: 'b:1' });
    } finally {
      warn.mockRestore();
      error.mockRestore();
    }
  });

  it('kafkajs still warns without it (the filter is what removes the line)', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const { logCreator: _omit, ...plain } = kafkaConfig('log-test');
      new Kafka(plain).producer({ idempotent: true, maxInFlightRequests: 1 });
      expect(warn.mock.calls.some((c) => String(c[0]).includes(EOS_RETRIES_WARNING))).toBe(true);
    } finally {
      warn.mockRestore();
    }
  });
});

import { Kafka, logLevel, Partitioners, type Producer, type KafkaConfig, type logCreator } from './kafkajs';

/**
 * kafkajs's own console logger, less one warning. kafkajs warns "Limiting retries for the idempotent
 * producer may invalidate EoS guarantees" each time an idempotent producer is made with bounded
 * retries. They are bounded on purpose: a send that cannot get through fails, and the outbox keeps the
 * row for the relay, rather than holding the request (or the saga's task) for ever. With `withProducer`
 * making a new producer after each failed send, the warning repeated on every broker hiccup and said
 * nothing; every other kafkajs log line is kept.
 */
export const EOS_RETRIES_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';
export const kafkaLogCreator: logCreator = (level) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const consoleLogger = (require('kafkajs/src/loggers/console') as logCreator)(level);
  return (entry) => {
    if (entry.log.message === EOS_RETRIES_WARNING) return;
    consoleLogger(entry);
  };
};

/**
 * Kafka client and an idempotent producer, made once per cold start.
 * Locally: KAFKA_BROKERS=127.0.0.1:19092 (plaintext).
 * On AWS (MSK): KAFKA_BROKERS (bootstrap, TLS) and KAFKA_IAM_AUTH=true: SASL/OAUTHBEARER signed
 * with the function's role by aws-msk-iam-sasl-signer-js.
 */
let kafka: Kafka | undefined;
let producer: Promise<Producer> | undefined;

export function kafkaConfig(clientId = process.env.POWERTOOLS_SERVICE_NAME ?? 'shop'): KafkaConfig {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (brokers.length === 0) throw new Error('invalid environment: KAFKA_BROKERS is required');
  const base: KafkaConfig = { clientId, brokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator, retry: { retries: 5, initialRetryTime: 100 } };
  if (process.env.KAFKA_IAM_AUTH !== 'true') return base;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return {
    ...base,
    ssl: true,
    sasl: {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { generateAuthToken } = require('aws-msk-iam-sasl-signer-js') as typeof import('aws-msk-iam-sasl-signer-js');
        const t = await generateAuthToken({ region });
        return { value: t.token };
      },
    },
  };
}

export function getKafka(): Kafka {
  kafka ??= new Kafka(kafkaConfig());
  return kafka;
}

export function getProducer(): Promise<Producer> {
  producer ??= (async () => {
    // The murmur2 partitioner that Java clients use, named so kafkajs does not warn that its default changed in v2.
    const p = getKafka().producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await p.connect();
    return p;
  })();
  producer.catch(() => (producer = undefined));
  return producer;
}

export async function closeProducer(): Promise<void> {
  const p = producer;
  producer = undefined;
  if (p) await (await p).disconnect().catch(() => undefined);
}

/**
 * Runs `fn` with the shared idempotent producer. If it throws, the producer is closed (when it is
 * still the shared one), so the next caller gets a new one: a new producer id, fresh sequence
 * numbers. After a failed or abandoned send, kafkajs's idempotent producer can be out of step with the
 * broker, and then every later send to that partition is refused with "out of order sequence number"
 * (a test run here saw it after a partly refused batch; kafkajs issue #598). `connect` replaces
 * `getProducer`, e.g. to bound the wait for a connection.
 */
export async function withProducer<T>(fn: (p: Producer) => Promise<T>, connect: () => Promise<Producer> = getProducer): Promise<T> {
  const p = await connect();
  try {
    return await fn(p);
  } catch (err) {
    const current = producer;
    if (current && (await current.catch(() => undefined)) === p) await closeProducer();
    throw err;
  }
}


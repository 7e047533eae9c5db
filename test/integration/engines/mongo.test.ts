/** The MongoDB-wire server (FerretDB locally, DocumentDB on AWS) through the official driver: insert, find, unique-index conflict. */
import { randomUUID } from 'node:crypto';
import { MongoClient, MongoServerError, type Collection } from 'mongodb';

interface EventDoc {
  aggregateId: string;
  version: number;
  type: string;
}

let client: MongoClient;
let events: Collection<EventDoc>;

beforeAll(async () => {
  client = new MongoClient(process.env.MONGO_URL!);
  await client.connect();
  events = client.db().collection<EventDoc>(`engines_it_events_${randomUUID().slice(0, 8)}`);
  await events.createIndex({ aggregateId: 1, version: 1 }, { unique: true });
});

afterAll(async () => {
  await events.drop().catch(() => undefined);
  await client.close();
});

describe('Mongo wire (official driver)', () => {
  it('inserts documents and finds them by a query, sorted', async () => {
    await events.insertMany([
      { aggregateId: 'prod-1', version: 1, type: 'ProductCreated' },
      { aggregateId: 'prod-1', version: 2, type: 'PriceChanged' },
      { aggregateId: 'prod-2', version: 1, type: 'ProductCreated' },
    ]);
    const found = await events.find({ aggregateId: 'prod-1' }, { projection: { _id: 0 } }).sort({ version: 1 }).toArray();
    expect(found).toEqual([
      { aggregateId: 'prod-1', version: 1, type: 'ProductCreated' },
      { aggregateId: 'prod-1', version: 2, type: 'PriceChanged' },
    ]);
  });

  it('rejects a second event with the same aggregate id and version (duplicate key, code 11000)', async () => {
    const err = await events.insertOne({ aggregateId: 'prod-1', version: 2, type: 'NameChanged' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(11000);
    expect(await events.countDocuments({ aggregateId: 'prod-1' })).toBe(2);
  });
});

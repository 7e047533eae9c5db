/** OpenSearch through the official client: index with a mapping, bulk index, full-text query with a filter and a sort. */
import { randomUUID } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';

const index = `engines-it-products-${randomUUID().slice(0, 8)}`;
let client: Client;

beforeAll(() => {
  client = new Client({ node: process.env.OPENSEARCH_URL });
});

afterAll(async () => {
  await client.indices.delete({ index }).catch(() => undefined);
  await client.close();
});

const products = [
  { id: 'p1', name: 'Wireless mouse', description: 'Ergonomic wireless mouse', category: 'accessories', price: 25, popularity: 50 },
  { id: 'p2', name: 'Wireless keyboard', description: 'Quiet keys, wireless', category: 'accessories', price: 60, popularity: 80 },
  { id: 'p3', name: 'Wireless headphones', description: 'Noise cancelling, wireless', category: 'audio', price: 150, popularity: 95 },
  { id: 'p4', name: 'USB cable', description: 'Braided cable for a wireless charger', category: 'accessories', price: 10, popularity: 99 },
  { id: 'p5', name: 'Wired mouse', description: 'A plain mouse', category: 'accessories', price: 15, popularity: 70 },
];

describe('OpenSearch (official client)', () => {
  it('creates an index with a mapping, bulk-indexes documents and runs a full-text query with a filter and a sort', async () => {
    await client.indices.create({
      index,
      body: {
        settings: { number_of_shards: 1, number_of_replicas: 0 },
        mappings: {
          dynamic: 'strict',
          properties: {
            name: { type: 'text' },
            description: { type: 'text' },
            category: { type: 'keyword' },
            price: { type: 'float' },
            popularity: { type: 'integer' },
          },
        },
      },
    });
    const mapping = await client.indices.getMapping({ index });
    expect(mapping.body[index]!.mappings.properties!.category).toEqual({ type: 'keyword' });

    const bulk = await client.bulk({
      refresh: true,
      body: products.flatMap(({ id, ...doc }) => [{ index: { _index: index, _id: id } }, doc]),
    });
    expect(bulk.body.errors).toBe(false);

    const res = await client.search({
      index,
      body: {
        query: {
          bool: {
            must: [{ multi_match: { query: 'wireless', fields: ['name^3', 'description'] } }],
            filter: [{ term: { category: 'accessories' } }, { range: { price: { gte: 20, lte: 100 } } }],
          },
        },
        sort: [{ popularity: { order: 'desc' } }],
      },
    });
    // p3 is audio, p4 costs 10, p5 does not mention "wireless": only p2 and p1, most popular first.
    expect(res.body.hits.hits.map((h) => h._id)).toEqual(['p2', 'p1']);
  });

  it('rejects a document that does not match the strict mapping (the bulk item names the error)', async () => {
    const bulk = await client.bulk({
      refresh: true,
      body: [{ index: { _index: index, _id: 'bad' } }, { name: 'x', colour: 'red' }],
    });
    expect(bulk.body.errors).toBe(true);
    expect(bulk.body.items[0]!.index!.error!.type).toBe('strict_dynamic_mapping_exception');
  });

  it('rejects creating an index that already exists', async () => {
    await expect(client.indices.create({ index })).rejects.toMatchObject({ meta: { statusCode: 400, body: { error: { type: 'resource_already_exists_exception' } } } });
  });
});

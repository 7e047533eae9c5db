/** DynamoDB (moto server locally) through the AWS SDK v3: a conditional put that fails on the second write, and a transaction. */
import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  TransactionCanceledException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

const TableName = `engines-it-idempotency-${randomUUID().slice(0, 8)}`;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  raw = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: process.env.AWS_REGION });
  doc = DynamoDBDocumentClient.from(raw);
  await raw.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client: raw, maxWaitTime: 30 }, { TableName });
});

afterAll(async () => {
  await raw.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
  raw.destroy();
});

const putOnce = (id: string, status: string) =>
  doc.send(new PutCommand({ TableName, Item: { id, status }, ConditionExpression: 'attribute_not_exists(id)' }));

describe('DynamoDB (AWS SDK v3 against the local endpoint)', () => {
  it('throws ConditionalCheckFailedException when a conditional put writes the same key twice', async () => {
    await putOnce('order-1#reserve', 'INPROGRESS');
    await expect(putOnce('order-1#reserve', 'COMPLETED')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const got = await doc.send(new GetCommand({ TableName, Key: { id: 'order-1#reserve' } }));
    expect(got.Item).toEqual({ id: 'order-1#reserve', status: 'INPROGRESS' });
  });

  it('rejects a TransactWriteItems whose condition fails, writing none of its items', async () => {
    await putOnce('order-2#pay', 'COMPLETED');
    const tx = doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName, Item: { id: 'order-2#confirm', status: 'COMPLETED' } } },
          { Put: { TableName, Item: { id: 'order-2#pay', status: 'AGAIN' }, ConditionExpression: 'attribute_not_exists(id)' } },
        ],
      }),
    );
    const err = await tx.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransactionCanceledException);
    expect((err as TransactionCanceledException).CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed']);
    expect((await doc.send(new GetCommand({ TableName, Key: { id: 'order-2#confirm' } }))).Item).toBeUndefined();
  });
});

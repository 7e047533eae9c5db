import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';

/**
 * OpenSearch client, made once per cold start.
 * Locally: OPENSEARCH_URL=http://127.0.0.1:19200.
 * On AWS: OPENSEARCH_ENDPOINT (the VPC domain endpoint, https) signed with SigV4 (service 'es')
 * using the function's role.
 */
let client: Client | undefined;

export function getOpenSearch(): Client {
  if (client) return client;
  const local = process.env.OPENSEARCH_URL;
  if (local) {
    client = new Client({ node: local, requestTimeout: 30_000 });
    return client;
  }
  const endpoint = process.env.OPENSEARCH_ENDPOINT;
  if (!endpoint) throw new Error('invalid environment: set OPENSEARCH_URL, or OPENSEARCH_ENDPOINT');
  const node = endpoint.startsWith('http') ? endpoint : `https://${endpoint}`;
  client = new Client({
    ...AwsSigv4Signer({ region: process.env.AWS_REGION ?? 'us-east-1', service: 'es' }),
    node,
    requestTimeout: 30_000,
  });
  return client;
}

export async function closeOpenSearch(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.close().catch(() => undefined);
}

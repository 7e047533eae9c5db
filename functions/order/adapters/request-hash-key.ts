import { secretString } from '../../shared/adapters/secrets';

/**
 * The key of the Idempotency-Key request hash (`orders.request_hash`): REQUEST_HASH_KEY, else the
 * REQUEST_HASH_KEY_SECRET_ARN secret (on AWS; read once per cold start), else, outside Lambda only,
 * a fixed development key. Keyed because the hashed body holds the payment token: a plain SHA-256
 * of a card-number-like token could be brute-forced from a copy of the database.
 */
export const DEV_REQUEST_HASH_KEY = 'dev-only-request-hash-key';
let cached: { id: string; key: Promise<string> } | undefined;

export function requestHashKey(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const id = `${env.REQUEST_HASH_KEY ?? ''}|${env.REQUEST_HASH_KEY_SECRET_ARN ?? ''}`;
  if (cached?.id === id) return cached.key;
  let key: Promise<string>;
  if (env.REQUEST_HASH_KEY) key = Promise.resolve(env.REQUEST_HASH_KEY);
  else if (env.REQUEST_HASH_KEY_SECRET_ARN) key = secretString(env.REQUEST_HASH_KEY_SECRET_ARN);
  else if (!env.AWS_LAMBDA_FUNCTION_NAME) key = Promise.resolve(DEV_REQUEST_HASH_KEY);
  else return Promise.reject(new Error('invalid environment: set REQUEST_HASH_KEY_SECRET_ARN (or REQUEST_HASH_KEY)'));
  key.catch(() => {
    if (cached?.key === key) cached = undefined;
  });
  cached = { id, key };
  return key;
}

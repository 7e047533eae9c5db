import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { traced } from '../powertools';

let client: SecretsManagerClient | undefined;
const cache = new Map<string, Promise<string>>();

/** Reads a secret's string once per cold start (secret ARNs come from the environment, never values). */
export function secretString(arn: string): Promise<string> {
  let p = cache.get(arn);
  if (!p) {
    client ??= traced(new SecretsManagerClient({}));
    p = client.send(new GetSecretValueCommand({ SecretId: arn })).then((r) => {
      if (!r.SecretString) throw new Error(`secret ${arn} has no string value`);
      return r.SecretString;
    });
    p.catch(() => cache.delete(arn));
    cache.set(arn, p);
  }
  return p;
}

/** Drops a cached value, so the next read asks Secrets Manager again (a value found not set up yet). */
export function forgetSecret(arn: string): void {
  cache.delete(arn);
}

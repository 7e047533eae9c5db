/**
 * `npm run token -- [userId] [roles]`: prints a dev JWT the local gateway accepts, signed with the
 * same secret `npm start` uses (JWT_SECRET, else the local dev-only secret). The user service's
 * log-in is not built yet; this is how the README's curl walk-through gets a token.
 *   npm run --silent token -- alice customer
 *   npm run --silent token -- root customer,admin
 */
import { signToken } from '../functions/shared/auth';
import { DEV_JWT_SECRET } from '../local/runtime/env';

async function main(): Promise<void> {
  const [userId = 'dev-user', roles = 'customer'] = process.argv.slice(2);
  const secret = process.env.JWT_SECRET ?? DEV_JWT_SECRET;
  const token = await signToken({ userId, roles: roles.split(',').filter(Boolean) }, { secret, expiresIn: '12h' });
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});

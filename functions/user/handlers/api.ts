import { bearerToken, verifyToken } from '../../shared/auth';
import { NotFoundError, UnauthorizedError } from '../../shared/errors';
import { header, httpHandler, json, parseBody, requireCaller } from '../../shared/http';
import { dummyHash } from '../adapters/password';
import { sessionIdOf } from '../adapters/session-token';
import { userConfig } from '../config';
import { EmailTakenError } from '../domain/errors';
import { LoginBodySchema, RegisterBodySchema } from '../domain/schemas';
import { logIn, logOut, me, register } from '../use-cases/accounts';

const config = userConfig();
const deps = { bcryptCost: config.BCRYPT_COST };
// The dummy hash a login with an unknown email is checked against, made at cold start, so the first
// such login does not take two bcrypt rounds (one more than a wrong password: a timing tell).
void dummyHash(config.BCRYPT_COST).catch(() => undefined);

/** The `sid` of the request's token (the authorizer verified it; verified again here, the context does not carry the sid). */
async function sessionIdOfRequest(event: Parameters<typeof header>[0]): Promise<string | undefined> {
  const token = bearerToken(header(event, 'Authorization'));
  if (!token) throw new UnauthorizedError('missing bearer token');
  await verifyToken(token);
  return sessionIdOf(token);
}

/** UserApi: POST /users, POST /sessions, GET /users/me, DELETE /sessions/current (thin adapter). */
export const handler = httpHandler(async (event) => {
  try {
    switch (`${event.httpMethod} ${event.resource}`) {
      case 'POST /users': {
        const r = await register(deps, parseBody(event, RegisterBodySchema));
        return json(201, r, { location: '/users/me' });
      }
      case 'POST /sessions':
        return json(200, await logIn(deps, parseBody(event, LoginBodySchema)));
      case 'GET /users/me':
        return json(200, await me(requireCaller(event)));
      case 'DELETE /sessions/current': {
        requireCaller(event);
        await logOut(await sessionIdOfRequest(event));
        return { statusCode: 204, headers: { 'access-control-allow-origin': '*' }, body: '' };
      }
      default:
        throw new NotFoundError(`no route ${event.httpMethod} ${event.resource}`);
    }
  } catch (err) {
    // toHttpResponse maps a ConflictError to code + message; this one also names the field, as a 400 does.
    if (err instanceof EmailTakenError) return json(409, { error: { code: err.code, message: err.message, issues: err.issues } });
    throw err;
  }
});

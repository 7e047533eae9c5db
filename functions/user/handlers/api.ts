import { NotFoundError } from '../../shared/errors';
import { httpHandler, json, parseBody, requireCaller } from '../../shared/http';
import { userConfig } from '../config';
import { EmailTakenError } from '../domain/errors';
import { LoginBodySchema, RegisterBodySchema } from '../domain/schemas';
import { logIn, logOut, me, register } from '../use-cases/accounts';

const config = userConfig();
const deps = { bcryptCost: config.BCRYPT_COST };

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
        // The authorizer passes the verified token's session (none for a dev token).
        const sid = (event.requestContext.authorizer as { sid?: unknown } | null | undefined)?.sid;
        await logOut(typeof sid === 'string' && sid !== '' ? sid : undefined);
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

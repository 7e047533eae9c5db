import { getRedis } from '../../shared/adapters/redis';

/**
 * Sessions in Redis: `session:<sid>` -> userId, with the session's TTL (EX). The authorizer
 * (functions/platform/authorizer.ts) refuses a token whose `sid` names a key that is gone.
 */
export const sessionKey = (sid: string): string => `session:${sid}`;

export async function createSession(sid: string, userId: string, ttlSeconds: number): Promise<void> {
  await (await getRedis()).set(sessionKey(sid), userId, 'EX', ttlSeconds);
}

export async function deleteSession(sid: string): Promise<void> {
  await (await getRedis()).del(sessionKey(sid));
}

/** Whether the session exists and belongs to this user. */
export async function sessionIsLive(sid: string, userId: string): Promise<boolean> {
  return (await (await getRedis()).get(sessionKey(sid))) === userId;
}

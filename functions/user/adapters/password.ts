import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';

/**
 * Password hashing: bcrypt (bcryptjs) over the base64 SHA-256 of the password. bcrypt reads at
 * most 72 bytes; the digest (44 ASCII bytes) makes every byte of a password up to 128 characters
 * count (128 characters of UTF-8 can be 512 bytes).
 */
const prehash = (password: string): string => createHash('sha256').update(password, 'utf8').digest('base64');

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(prehash(password), cost);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(prehash(password), hash);
}

/**
 * A well-formed bcrypt hash at the configured cost that no password matches (its salt and digest are
 * fixed filler): a log in with an unknown email is checked against it, so it costs the one bcrypt
 * round a wrong password costs, with nothing hashed ahead (no work at cold start, no first-call tell).
 */
export function dummyHash(cost: number): string {
  return `$2b$${String(cost).padStart(2, '0')}$${'N'.repeat(22)}${'N'.repeat(31)}`;
}

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
 * A hash of a random password at the configured cost, made once per cold start: a log in with an
 * unknown email is checked against it, so it takes as long as one with a wrong password.
 */
let dummy: { cost: number; hash: Promise<string> } | undefined;
export function dummyHash(cost: number): Promise<string> {
  if (dummy?.cost !== cost) dummy = { cost, hash: hashPassword(`dummy-${Math.random()}-${Date.now()}`, cost) };
  return dummy.hash;
}

import { z } from 'zod';

/** Kafka topic of the user service's events (lib/manifest: `user-events`), keyed by userId. */
export const USER_EVENTS_TOPIC = 'user-events';
export const USER_EVENT_SOURCE = 'shop.user';
export const USER_ROLES = ['customer', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A session (and its JWT) lives 24 h. */
export const SESSION_TTL_SECONDS = 24 * 60 * 60;

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;
export const NAME_MAX = 100;
export const EMAIL_MAX = 254;

/** Trimmed and lower-cased before the format check: the form the `users` table stores. */
const Email = z.string().trim().toLowerCase().max(EMAIL_MAX).email();

/**
 * POST /users. Unknown keys (a `roles` the client sends, say) are dropped: roles are never chosen
 * by the client.
 */
export const RegisterBodySchema = z.object({
  email: Email,
  password: z.string().min(PASSWORD_MIN).max(PASSWORD_MAX),
  // No NUL: PostgreSQL text cannot hold it (22021 would be a 500).
  name: z.string().trim().min(1).max(NAME_MAX).refine((v) => !v.includes('\u0000'), 'must not contain NUL characters').optional(),
});
export type RegisterBody = z.infer<typeof RegisterBodySchema>;

/** POST /sessions. The password length is not checked here: a wrong one is the same 401 as any. */
export const LoginBodySchema = z.object({
  email: Email,
  password: z.string().min(1).max(PASSWORD_MAX),
});
export type LoginBody = z.infer<typeof LoginBodySchema>;

export const RegisterResponseSchema = z.object({ userId: z.string().uuid(), email: z.string(), roles: z.array(z.enum(USER_ROLES)) });
export const SessionResponseSchema = z.object({ token: z.string(), expiresAt: z.string().datetime(), userId: z.string().uuid() });
export const MeResponseSchema = z.object({
  userId: z.string().uuid(),
  email: z.string(),
  roles: z.array(z.enum(USER_ROLES)),
  createdAt: z.string().datetime(),
  name: z.string().optional(),
});

/** UserRegistered `data` (version 1), in the shared envelope on `user-events`. */
export const UserRegisteredData = z.object({ userId: z.string().uuid(), email: z.string() });
export type UserRegistered = z.infer<typeof UserRegisteredData>;

/* eslint-disable */
/**
 * The user service's accounts (node-pg-migrate 7, CommonJS).
 *
 * `email` is stored trimmed and lower-cased (the API normalises it; the CHECK refuses anything
 * else, so two spellings of one address can never both be stored) and is UNIQUE: registration
 * relies on that constraint, not on a read first, so two concurrent registrations of one address
 * make one account and one 409. `roles` is never written by the API (every account starts as
 * customer); an admin is made in the database:
 *   UPDATE users SET roles = '{customer,admin}' WHERE email = '...';
 * `password_hash` is a bcrypt hash (functions/user/adapters/password.ts), never returned or logged.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE users (
      id            uuid        PRIMARY KEY,
      email         text        NOT NULL,
      password_hash text        NOT NULL,
      name          text,
      roles         text[]      NOT NULL DEFAULT '{customer}',
      created_at    timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT users_email_key UNIQUE (email),
      CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email))),
      CONSTRAINT users_email_format CHECK (char_length(email) BETWEEN 3 AND 254 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
      CONSTRAINT users_password_hash_present CHECK (char_length(password_hash) >= 20),
      CONSTRAINT users_name_length CHECK (name IS NULL OR char_length(name) BETWEEN 1 AND 100),
      CONSTRAINT users_roles_known CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['customer', 'admin']::text[])
    )
  `);
};

exports.down = (pgm) => {
  pgm.sql(`DROP TABLE IF EXISTS users`);
};

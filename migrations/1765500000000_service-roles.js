/* eslint-disable */
/**
 * Per-service PostgreSQL roles: least privilege in the database (node-pg-migrate 7, CommonJS).
 *
 * Until now every function connected as the admin (the tables' owner), so a bug or an injection in
 * one service could read or change every other service's tables. From here on:
 *  - one NOLOGIN group role per service whose handlers use PostgreSQL (lib/manifest): `shop_order`,
 *    `shop_inventory`, `shop_payment`, `shop_user`, `shop_notification`, `shop_web3`; each gets
 *    exactly the tables, columns, sequences and functions its code uses (GRANTS below, read off
 *    every statement under functions/; docs/cdk.md has the matrix);
 *  - one LOGIN role per service, member of its group (`svc_order IN ROLE shop_order`, ...), created
 *    WITHOUT a password: nobody can log in as it until the password step sets one (on AWS the
 *    Migrations custom resource, from the service's Secrets Manager secret; locally the runtime,
 *    functions/platform/db-roles.ts). The migrations themselves, the table owner, stay the admin.
 *  - PUBLIC loses CREATE on schema public (already so on PostgreSQL 15+, explicit for older
 *    servers) and EXECUTE on the saga step functions; functions the migrating role creates later do
 *    not get EXECUTE for PUBLIC either (ALTER DEFAULT PRIVILEGES): a later migration grants them.
 *
 * Roles are cluster-wide, grants per database: the roles may already exist (another database on the
 * same server, a re-run), so they are created only when missing (a concurrent creator's
 * duplicate_object / unique_violation is taken as "exists"), and grants are idempotent. A later
 * migration that adds a table (or a statement that needs a new privilege) grants it to the roles
 * that use it: a handler whose role lacks a privilege fails with 42501 (not retried as transient).
 *
 * `down` revokes everything granted here in this database and drops the roles unless
 * another database of the server still uses them.
 */
exports.shorthands = undefined;

const ROLES = {
  order: { group: 'shop_order', login: 'svc_order' },
  inventory: { group: 'shop_inventory', login: 'svc_inventory' },
  payment: { group: 'shop_payment', login: 'svc_payment' },
  user: { group: 'shop_user', login: 'svc_user' },
  notification: { group: 'shop_notification', login: 'svc_notification' },
  web3: { group: 'shop_web3', login: 'svc_web3' },
};

const SAGA_FUNCTIONS = ['saga_step_open(integer, text, text, text[])', 'saga_expect(boolean, text)', 'saga_step_close(text, text, jsonb, jsonb)'];

/**
 * The grant matrix: service -> GRANT clauses (privileges ON object). Only what the service's code
 * runs (functions/<service>/** and the shared modules it calls: functions/shared/outbox.ts,
 * functions/shared/idempotency.ts).
 */
const GRANTS = {
  order: [
    'SELECT, INSERT, UPDATE ON orders', // place, read, list, cancel, saga steps, sweeper claim/restarts
    'SELECT, INSERT ON order_items',
    'SELECT (sku, price_cents) ON inventory', // the price list read inside the order insert
    'SELECT, INSERT, DELETE ON processed_messages', // saga steps; DELETE: SagaStepRecordRetention
    'SELECT, UPDATE ON saga_step_retention', // the retention's watermark (locked FOR UPDATE)
    'SELECT, INSERT, DELETE ON outbox', // its events; the relay and the saga's publish step send and forget every service's rows
    'UPDATE (attempts, last_error) ON outbox', // a failed send is counted
    'USAGE ON SEQUENCE outbox_id_seq',
    ...SAGA_FUNCTIONS.map((f) => `EXECUTE ON FUNCTION ${f}`),
  ],
  inventory: [
    'SELECT, INSERT, UPDATE ON inventory', // stock, restock, reserve, release
    'SELECT, INSERT, UPDATE ON reservations',
    'SELECT, INSERT ON processed_messages', // saga steps, restock idempotency keys
    'INSERT, DELETE ON outbox', // restock events published right after commit, then forgotten
    'SELECT (id, message_key, published_at, attempts) ON outbox', // hasOlderUnsent, RETURNING id; never the payloads
    'UPDATE (attempts, last_error) ON outbox',
    'USAGE ON SEQUENCE outbox_id_seq',
    ...SAGA_FUNCTIONS.map((f) => `EXECUTE ON FUNCTION ${f}`),
  ],
  payment: [
    'SELECT, INSERT, UPDATE ON payments',
    'SELECT (id, payment_token) ON orders', // the authorize step reads the order's payment token, nothing else of the order
    'SELECT, INSERT ON processed_messages',
    'INSERT ON outbox', // its events go out with the order's publish step (the order service sends them)
    'USAGE ON SEQUENCE outbox_id_seq',
    ...SAGA_FUNCTIONS.map((f) => `EXECUTE ON FUNCTION ${f}`),
  ],
  user: [
    'SELECT, INSERT ON users', // register, log in, sessions' user lookups; roles are changed by an admin, not the API
    'INSERT, DELETE ON outbox', // UserRegistered, published right after commit, then forgotten
    'SELECT (id, attempts) ON outbox',
    'UPDATE (attempts, last_error) ON outbox',
    'USAGE ON SEQUENCE outbox_id_seq',
  ],
  notification: [
    'SELECT, INSERT, UPDATE ON notifications',
    'SELECT (id, email) ON users', // the recipient's address, nothing else of the account
  ],
  web3: [], // declares postgres in the manifest but is not built: no table yet
};

exports.ROLES = ROLES;
exports.GRANTS = GRANTS;

const lit = (s) => `'${s.replace(/'/g, "''")}'`;

exports.up = (pgm) => {
  for (const { group, login } of Object.values(ROLES)) {
    pgm.sql(`
      DO $roles$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${lit(group)}) THEN
          BEGIN
            CREATE ROLE ${group} NOLOGIN;
          EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- made meanwhile by another database's migration
          END;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${lit(login)}) THEN
          BEGIN
            CREATE ROLE ${login} LOGIN;
          EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
          END;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles l ON l.oid = m.member
                       WHERE g.rolname = ${lit(group)} AND l.rolname = ${lit(login)}) THEN
          BEGIN
            GRANT ${group} TO ${login};
          EXCEPTION WHEN unique_violation THEN NULL;
          END;
        END IF;
      END
      $roles$`);
    pgm.sql(`GRANT USAGE ON SCHEMA public TO ${group}`);
  }
  pgm.sql(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
  for (const f of SAGA_FUNCTIONS) pgm.sql(`REVOKE EXECUTE ON FUNCTION ${f} FROM PUBLIC`);
  pgm.sql(`ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`);
  for (const [service, grants] of Object.entries(GRANTS)) {
    for (const g of grants) pgm.sql(`GRANT ${g} TO ${ROLES[service].group}`);
  }
};

exports.down = (pgm) => {
  pgm.sql(`ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC`);
  for (const f of SAGA_FUNCTIONS) pgm.sql(`GRANT EXECUTE ON FUNCTION ${f} TO PUBLIC`);
  // CREATE on schema public is not given back to PUBLIC: PostgreSQL 15+ does not give it either.
  for (const { group, login } of Object.values(ROLES)) {
    // This database's grants go (everything `up` granted is on schema public and its objects; the
    // login roles hold no grants of their own); the roles themselves only when no other database of
    // the server still grants the group something (pg_shdepend): that database's functions still
    // log in as them.
    pgm.sql(`
      DO $roles$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${lit(group)}) THEN
          REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${group};
          REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${group};
          REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM ${group};
          REVOKE ALL ON SCHEMA public FROM ${group};
          IF EXISTS (SELECT 1 FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid
                     WHERE d.refclassid = 'pg_authid'::regclass AND r.rolname = ${lit(group)}
                       AND d.dbid <> (SELECT oid FROM pg_database WHERE datname = current_database())) THEN
            RAISE NOTICE 'roles % and % kept: another database of this server still uses them', ${lit(group)}, ${lit(login)};
            RETURN;
          END IF;
        END IF;
        DROP ROLE IF EXISTS ${login};
        DROP ROLE IF EXISTS ${group};
      END
      $roles$`);
  }
};

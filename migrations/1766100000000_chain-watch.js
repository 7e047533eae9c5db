/* eslint-disable */
/**
 * The payment watcher's place on the chain (node-pg-migrate 7, CommonJS).
 *
 * Web3PaymentWatcher (a schedule) reads the token's transfers to the shop's wallet block range by
 * block range, and verifies each one nobody verified for the payer's waiting crypto order. The last
 * block it finished is kept per (chain, token, payee), so a change of any of them starts afresh.
 * shop_web3 also reads an order's created_at (the watcher pays the oldest waiting order first).
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE IF NOT EXISTS chain_watch (
      chain_id    integer NOT NULL,
      token       text NOT NULL CHECK (token ~ '^0x[0-9a-f]{40}$'),
      payee       text NOT NULL CHECK (payee ~ '^0x[0-9a-f]{40}$'),
      last_block  bigint NOT NULL CHECK (last_block >= 0),
      updated_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (chain_id, token, payee)
    );
    GRANT SELECT, INSERT, UPDATE ON chain_watch TO shop_web3;
    GRANT SELECT (created_at) ON orders TO shop_web3;
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    REVOKE SELECT (created_at) ON orders FROM shop_web3;
    DROP TABLE IF EXISTS chain_watch;
  `);
};

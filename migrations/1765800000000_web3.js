/* eslint-disable */
/**
 * The web3 service's tables and its role's grants (node-pg-migrate 7, CommonJS).
 *
 * wallet_accounts: one row per wallet that signed in with Ethereum (SIWE). Its user_id is the
 * account's id, the JWT subject its orders belong to. Addresses are stored in lower case.
 *
 * crypto_payments: one row per verified on-chain stablecoin payment of an order. The primary key
 * (chain, transaction) makes a transaction pay at most one order; the unique order_id makes an order
 * paid at most once. amount is in the token's base units (numeric(78,0) holds any uint256).
 *
 * Grants to shop_web3 (1765500000000 created the role with none): its own tables, the order columns a
 * payment check reads (owner, state, total), and the outbox rows of CryptoPaymentVerified, published
 * right after the commit and then forgotten, as the user service does with its events.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE IF NOT EXISTS wallet_accounts (
      address          text PRIMARY KEY CHECK (address ~ '^0x[0-9a-f]{40}$'),
      user_id          uuid NOT NULL UNIQUE,
      created_at       timestamptz NOT NULL DEFAULT now(),
      last_sign_in_at  timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE IF NOT EXISTS crypto_payments (
      chain_id      integer NOT NULL CHECK (chain_id > 0),
      tx_hash       text NOT NULL CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
      order_id      uuid NOT NULL REFERENCES orders (id),
      token         text NOT NULL CHECK (token ~ '^0x[0-9a-f]{40}$'),
      payer         text NOT NULL CHECK (payer ~ '^0x[0-9a-f]{40}$'),
      amount        numeric(78, 0) NOT NULL CHECK (amount > 0),
      amount_cents  bigint NOT NULL CHECK (amount_cents >= 0),
      currency      char(3) NOT NULL,
      block_number  bigint NOT NULL CHECK (block_number >= 0),
      verified_at   timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT crypto_payments_pkey PRIMARY KEY (chain_id, tx_hash),
      CONSTRAINT crypto_payments_order_key UNIQUE (order_id)
    );

    GRANT SELECT, INSERT ON wallet_accounts TO shop_web3;
    GRANT UPDATE (last_sign_in_at) ON wallet_accounts TO shop_web3;
    GRANT SELECT, INSERT ON crypto_payments TO shop_web3;
    GRANT SELECT (id, user_id, status, amount_cents, currency) ON orders TO shop_web3;
    GRANT INSERT, DELETE ON outbox TO shop_web3;
    GRANT SELECT (id, attempts) ON outbox TO shop_web3;
    GRANT UPDATE (attempts, last_error) ON outbox TO shop_web3;
    GRANT USAGE ON SEQUENCE outbox_id_seq TO shop_web3;
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    REVOKE ALL ON outbox FROM shop_web3;
    REVOKE SELECT (id, user_id, status, amount_cents, currency) ON orders FROM shop_web3;
    REVOKE USAGE ON SEQUENCE outbox_id_seq FROM shop_web3;
    DROP TABLE IF EXISTS crypto_payments;
    DROP TABLE IF EXISTS wallet_accounts;
  `);
};

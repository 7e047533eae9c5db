/* eslint-disable */
/**
 * Crypto payments the shop must give back (node-pg-migrate 7, CommonJS).
 *
 * A verified on-chain payment from the caller's wallet that its order cannot take (the order is a
 * card order, cancelled or being cancelled, already paid, or the transfer is short) is recorded as
 * well, with disposition REFUND_DUE, the refusal's code and reason, and announced (CryptoRefundDue) in the same
 * transaction: before, such a payment was refused and nothing kept a trace of money the shop held.
 * An order keeps at most one payment that pays it (disposition ORDER): the unique order_id becomes a
 * partial unique index under the same name, which the code recognises.
 *
 * Grants: shop_payment reads the order's status (AuthorizePayment stops waiting for a payment once
 * the customer cancelled); shop_order reads which users have a wallet (a crypto order needs one).
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    ALTER TABLE crypto_payments ADD COLUMN IF NOT EXISTS disposition text NOT NULL DEFAULT 'ORDER';
    ALTER TABLE crypto_payments DROP CONSTRAINT IF EXISTS crypto_payments_disposition_known;
    ALTER TABLE crypto_payments ADD CONSTRAINT crypto_payments_disposition_known CHECK (disposition IN ('ORDER', 'REFUND_DUE'));
    ALTER TABLE crypto_payments ADD COLUMN IF NOT EXISTS refund_code text;
    ALTER TABLE crypto_payments ADD COLUMN IF NOT EXISTS refund_reason text;
    ALTER TABLE crypto_payments DROP CONSTRAINT IF EXISTS crypto_payments_refund_explained;
    ALTER TABLE crypto_payments ADD CONSTRAINT crypto_payments_refund_explained CHECK ((disposition = 'ORDER') = (refund_code IS NULL AND refund_reason IS NULL));
    ALTER TABLE crypto_payments DROP CONSTRAINT IF EXISTS crypto_payments_order_key;
    CREATE UNIQUE INDEX IF NOT EXISTS crypto_payments_order_key ON crypto_payments (order_id) WHERE disposition = 'ORDER';
    GRANT SELECT (status) ON orders TO shop_payment;
    GRANT SELECT (user_id) ON wallet_accounts TO shop_order;
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    REVOKE SELECT (user_id) ON wallet_accounts FROM shop_order;
    REVOKE SELECT (status) ON orders FROM shop_payment;
    DELETE FROM crypto_payments WHERE disposition <> 'ORDER';
    DROP INDEX IF EXISTS crypto_payments_order_key;
    ALTER TABLE crypto_payments ADD CONSTRAINT crypto_payments_order_key UNIQUE (order_id);
    ALTER TABLE crypto_payments DROP CONSTRAINT IF EXISTS crypto_payments_refund_explained;
    ALTER TABLE crypto_payments DROP COLUMN IF EXISTS refund_reason;
    ALTER TABLE crypto_payments DROP COLUMN IF EXISTS refund_code;
    ALTER TABLE crypto_payments DROP CONSTRAINT IF EXISTS crypto_payments_disposition_known;
    ALTER TABLE crypto_payments DROP COLUMN IF EXISTS disposition;
  `);
};

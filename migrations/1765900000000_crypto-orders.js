/* eslint-disable */
/**
 * Orders paid in a stablecoin on chain (node-pg-migrate 7, CommonJS).
 *
 * orders.payment_method: 'card' (the provider token in payment_token, as before) or 'crypto' (no
 * token: the customer pays on chain and POST /web3/payments/verify records it in crypto_payments).
 * A constant default: no table rewrite, existing orders are card orders.
 *
 * Grants:
 *  - shop_payment reads the method (AuthorizePayment takes the crypto path for 'crypto') and the
 *    verified crypto payment of an order (authorize, and the refund that finds money to give back);
 *  - shop_web3 reads the method (a card order takes no crypto payment) and the order's refund step
 *    records (a payment verified once the saga began to compensate is refused).
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    ALTER TABLE orders ADD COLUMN IF NOT EXISTS payment_method text NOT NULL DEFAULT 'card';
    ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_payment_method_known;
    ALTER TABLE orders ADD CONSTRAINT orders_payment_method_known CHECK (payment_method IN ('card', 'crypto'));
    GRANT SELECT (payment_method) ON orders TO shop_payment, shop_web3;
    GRANT SELECT ON crypto_payments TO shop_payment;
    GRANT SELECT (order_id, step) ON processed_messages TO shop_web3;
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    REVOKE SELECT (order_id, step) ON processed_messages FROM shop_web3;
    REVOKE SELECT ON crypto_payments FROM shop_payment;
    REVOKE SELECT (payment_method) ON orders FROM shop_payment, shop_web3;
    ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_payment_method_known;
    ALTER TABLE orders DROP COLUMN IF EXISTS payment_method;
  `);
};

/* eslint-disable */
/**
 * The payment token leaves the events and the saga's state (node-pg-migrate 7, CommonJS).
 *
 * OrderCreated version 1 carried the customer's `paymentToken`, so it sat on Kafka, on the event bus
 * and in every Step Functions execution's input and history. From now on it lives only in the
 * order's row: the payment service reads it there when it authorizes, and ConfirmOrder / CancelOrder
 * set it to NULL, so a finished order keeps no token (the column becomes nullable for that).
 *
 * The orders that are already CONFIRMED or CANCELLED forget theirs here. Outside one transaction
 * (node-pg-migrate's noTransaction): the ALTER's brief exclusive lock is released before the UPDATE,
 * which only takes row locks on finished orders (nothing else writes those) and never blocks an
 * order insert.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.sql(`ALTER TABLE orders ALTER COLUMN payment_token DROP NOT NULL`);
  pgm.sql(`UPDATE orders SET payment_token = NULL WHERE status IN ('CONFIRMED', 'CANCELLED') AND payment_token IS NOT NULL`);
};

exports.down = (pgm) => {
  // A finished order's token is gone for good; '' keeps the old NOT NULL without inventing one.
  pgm.sql(`UPDATE orders SET payment_token = '' WHERE payment_token IS NULL`);
  pgm.sql(`ALTER TABLE orders ALTER COLUMN payment_token SET NOT NULL`);
};

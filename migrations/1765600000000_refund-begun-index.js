/* eslint-disable */
/**
 * The saga sweeper finds unfinished refunds (node-pg-migrate 7, CommonJS).
 *
 * RefundPayment records `payment.refund-begun` before it calls the provider and deletes it with the
 * refund's own record, so a begun record that stays means a refund that never finished. For a
 * CONFIRMED order (ConfirmOrder's answer was lost, the saga compensated and died in RefundPayment)
 * nothing else would look again: the sweeper claims those (adapters/pg-orders.ts
 * `claimUnsettledOrders`). This partial index holds only begun records, a handful at any time, so
 * that part of the claim reads a handful of rows; every other step's insert skips it.
 *
 * Built CONCURRENTLY, outside the migrations' transaction (see 1765100000000).
 *
 * `saga_refund_finished(order_id)` deletes an order's begun record and nothing else: the payment
 * service's role (1765500000000) may run it, and has no DELETE on `processed_messages` (another
 * service's step records stay out of its reach). SECURITY DEFINER with a fixed search_path.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.sql(`DROP INDEX CONCURRENTLY IF EXISTS processed_messages_refund_begun`);
  pgm.sql(`CREATE INDEX CONCURRENTLY processed_messages_refund_begun ON processed_messages (processed_at) WHERE step = 'payment.refund-begun'`);
  pgm.sql(`
    CREATE OR REPLACE FUNCTION saga_refund_finished(p_order_id text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ DELETE FROM processed_messages WHERE order_id = p_order_id AND step = 'payment.refund-begun' $$`);
  pgm.sql(`REVOKE ALL ON FUNCTION saga_refund_finished(text) FROM PUBLIC`);
  pgm.sql(`GRANT EXECUTE ON FUNCTION saga_refund_finished(text) TO shop_payment`);
};

exports.down = (pgm) => {
  pgm.noTransaction();
  pgm.sql(`DROP FUNCTION IF EXISTS saga_refund_finished(text)`);
  pgm.sql(`DROP INDEX CONCURRENTLY IF EXISTS processed_messages_refund_begun`);
};

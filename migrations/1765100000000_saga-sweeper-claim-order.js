/* eslint-disable */
/**
 * The saga sweeper's claim order (node-pg-migrate 7, CommonJS).
 *
 * The OrderSagaSweeper used to claim the oldest unsettled orders first (`orders_unsettled (updated_at,
 * id)`), so a batch of orders whose restarts were used up (only reported, SagaStuck) took every slot
 * of every run and a newer order whose order-created was lost was never started. It now claims the
 * orders it has not given up on, never looked at first, then looked at longest ago, then oldest, and
 * the given-up ones in a small quota of their own, longest ago first (adapters/pg-orders.ts
 * `claimUnsettledOrders`). `orders_sweep` has that order, so both parts are an index walk that stops
 * at the limit; sorting every waiting order instead took ~0.7 s per run with 400k of them (an
 * outage's worth). It replaces `orders_unsettled`, which only the sweeper used: one index on the
 * unsettled orders either way, so an order's insert and status changes write no more than before.
 *
 * Built CONCURRENTLY, outside the migrations' transaction (see 1765000000000): a plain CREATE INDEX
 * blocks every order insert while it reads the table. An interrupted build leaves an invalid index,
 * which the DROP ... IF EXISTS before it removes on the next run.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.sql(`DROP INDEX CONCURRENTLY IF EXISTS orders_sweep`);
  pgm.sql(`CREATE INDEX CONCURRENTLY orders_sweep ON orders (saga_checked_at NULLS FIRST, updated_at, id) WHERE status IN ('PENDING', 'CONFIRMING', 'CANCELLING')`);
  pgm.sql(`DROP INDEX CONCURRENTLY IF EXISTS orders_unsettled`);
};

exports.down = (pgm) => {
  pgm.noTransaction();
  pgm.sql(`DROP INDEX CONCURRENTLY IF EXISTS orders_unsettled`);
  pgm.sql(`CREATE INDEX CONCURRENTLY orders_unsettled ON orders (updated_at, id) WHERE status IN ('PENDING', 'CONFIRMING', 'CANCELLING')`);
  pgm.sql(`DROP INDEX CONCURRENTLY IF EXISTS orders_sweep`);
};

/* eslint-disable */
/**
 * Retention of the saga's step records (node-pg-migrate 7, CommonJS).
 *
 * `processed_messages` keeps one row per (order, step), ~1.3 KB per order: ~11 GB a day at 100
 * orders/s, for ever. A record protects its step from running twice, which matters only while
 * something can still run the step: a redelivered order-created message (7 days on its topic, then
 * 7 on the dead-letter topic), a redriven execution (14 days; its order is not terminal) or a
 * restarted one (the sweeper restarts only orders that are not terminal). The SagaStepRecordRetention schedule
 * (functions/order/use-cases/purge-step-records.ts) deletes the records of orders that are terminal
 * and unchanged for STEP_RECORD_RETENTION_DAYS (default 30, never under 15).
 *
 * It walks the orders by creation time behind a watermark (`saga_step_retention`, one row) and
 * deletes by `processed_messages`' primary key, so the hot path gains no index on
 * `processed_messages`. What it needs on `orders` is a BRIN index on `created_at`: the rows are
 * written in time order and never deleted, so a range of pages covers a short span of time; the
 * index is a few pages and an order insert almost never writes to it. `autosummarize` has each range
 * summarized as soon as the next one starts filling: an unsummarized range matches every query, so
 * without it the pages written since the last vacuum would be read by every window.
 *
 * The index is built CONCURRENTLY, outside the migrations' transaction (node-pg-migrate commits
 * the migrations before this one, runs this one statement by statement, then goes on): a plain
 * CREATE INDEX would block every order insert for as long as it reads the table. A build that was
 * interrupted leaves an invalid index, which the DROP ... IF EXISTS before it removes on the next
 * run (the migration is recorded only once every statement has run).
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.noTransaction();
  pgm.sql(`
    CREATE TABLE IF NOT EXISTS saga_step_retention (
      id                    boolean PRIMARY KEY DEFAULT true CHECK (id),
      watermark_created_at  timestamptz NOT NULL DEFAULT '-infinity',
      watermark_id          uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000',
      updated_at            timestamptz NOT NULL DEFAULT now()
    )`);
  pgm.sql(`INSERT INTO saga_step_retention DEFAULT VALUES ON CONFLICT (id) DO NOTHING`);
  pgm.sql(
    `COMMENT ON TABLE saga_step_retention IS 'SagaStepRecordRetention: the (created_at, id) of the last order whose step records it looked at'`,
  );
  pgm.sql(`DROP INDEX CONCURRENTLY IF EXISTS orders_created_brin`);
  pgm.sql(`CREATE INDEX CONCURRENTLY orders_created_brin ON orders USING brin (created_at) WITH (autosummarize = on)`);
};

exports.down = (pgm) => {
  pgm.noTransaction();
  pgm.sql(`DROP INDEX CONCURRENTLY IF EXISTS orders_created_brin`);
  pgm.sql(`DROP TABLE IF EXISTS saga_step_retention`);
};

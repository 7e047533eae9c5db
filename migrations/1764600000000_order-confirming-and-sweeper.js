/* eslint-disable */
/**
 * The saga's pivot and the saga sweeper (node-pg-migrate 7, CommonJS):
 *  - orders.status gains CONFIRMING (PENDING -> CONFIRMING before the payment is captured; a
 *    customer cancel is refused from there on);
 *  - orders.saga_restarts counts the executions the OrderSagaSweeper started after the first one
 *    ended without a terminal order; orders.saga_checked_at is when the sweeper last looked;
 *  - a partial index on the non-terminal orders by age, the sweeper's scan.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    ALTER TABLE orders DROP CONSTRAINT orders_status_check;
    ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('PENDING', 'CONFIRMING', 'CONFIRMED', 'CANCELLED'));
    ALTER TABLE orders
      ADD COLUMN saga_restarts   integer NOT NULL DEFAULT 0 CHECK (saga_restarts >= 0),
      ADD COLUMN saga_checked_at timestamptz;
    CREATE INDEX orders_unsettled ON orders (updated_at, id) WHERE status IN ('PENDING', 'CONFIRMING');
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    DROP INDEX IF EXISTS orders_unsettled;
    ALTER TABLE orders DROP COLUMN IF EXISTS saga_checked_at, DROP COLUMN IF EXISTS saga_restarts;
    UPDATE orders SET status = 'PENDING' WHERE status = 'CONFIRMING';
    ALTER TABLE orders DROP CONSTRAINT orders_status_check;
    ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED'));
  `);
};

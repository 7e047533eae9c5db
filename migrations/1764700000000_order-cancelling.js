/* eslint-disable */
/**
 * CANCELLING (node-pg-migrate 7, CommonJS): a customer cancel before the saga's pivot no longer
 * makes the order CANCELLED at once but CANCELLING: its authorization and its reservation are still
 * in place until the saga's compensations run (RefundPayment voids, ReleaseInventory, CancelOrder
 * then makes it CANCELLED). CANCELLING is not terminal, so the sweeper's partial index covers it and
 * an order whose compensations died (CompensationFailed) is driven to CANCELLED like any unsettled
 * order. Existing rows are unchanged.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    ALTER TABLE orders DROP CONSTRAINT orders_status_check;
    ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('PENDING', 'CONFIRMING', 'CONFIRMED', 'CANCELLING', 'CANCELLED'));
    DROP INDEX IF EXISTS orders_unsettled;
    CREATE INDEX orders_unsettled ON orders (updated_at, id) WHERE status IN ('PENDING', 'CONFIRMING', 'CANCELLING');
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    UPDATE orders SET status = 'CANCELLED' WHERE status = 'CANCELLING';
    DROP INDEX IF EXISTS orders_unsettled;
    CREATE INDEX orders_unsettled ON orders (updated_at, id) WHERE status IN ('PENDING', 'CONFIRMING');
    ALTER TABLE orders DROP CONSTRAINT orders_status_check;
    ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('PENDING', 'CONFIRMING', 'CONFIRMED', 'CANCELLED'));
  `);
};

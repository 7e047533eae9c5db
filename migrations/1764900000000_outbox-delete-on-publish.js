/* eslint-disable */
/**
 * The outbox keeps only what is still to be sent (node-pg-migrate 7, CommonJS).
 *
 * Before: a published row was UPDATEd (published_at = now()) and kept for ever. That update could
 * not be HOT (published_at is in the partial indexes' predicates), so every event cost a second
 * heap tuple and two more index entries, and the table grew without bound (~3.7 KB per order:
 * ~30 GB a day at 100 orders/s) while Kafka already keeps the events (7 days).
 * Now: a row is DELETEd once Kafka (and the bus) acknowledged it (functions/shared/outbox.ts), so
 * the table holds the unsent rows and the dead ones autovacuum has not yet reclaimed.
 *
 * - Rows already published are deleted.
 * - `outbox_unpublished (id)` goes: the primary key gives the relay its oldest-first order.
 * - `outbox_key_unpublished` becomes `outbox_key (message_key)` (a Publish step reads its order's rows).
 * - `published_at` stays (always NULL from now on), so code deployed before this migration keeps
 *   working during a deploy; a later migration can drop it.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    DELETE FROM outbox WHERE published_at IS NOT NULL;
    DROP INDEX IF EXISTS outbox_unpublished;
    CREATE INDEX outbox_key ON outbox (message_key);
    DROP INDEX IF EXISTS outbox_key_unpublished;
    COMMENT ON COLUMN outbox.published_at IS 'unused since 1764900000000_outbox-delete-on-publish: a sent row is deleted';
    COMMENT ON TABLE outbox IS 'events committed with their state change and not yet acknowledged by Kafka (and the bus); a sent row is deleted';
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
    CREATE INDEX outbox_key_unpublished ON outbox (message_key) WHERE published_at IS NULL;
    DROP INDEX IF EXISTS outbox_key;
    COMMENT ON COLUMN outbox.published_at IS NULL;
    COMMENT ON TABLE outbox IS NULL;
  `);
};

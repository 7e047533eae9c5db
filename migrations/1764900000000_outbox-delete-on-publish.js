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
 * - Rows already published are deleted. A DELETE only locks those rows, which nothing else
 *   touches, so writers are not held up however many there are.
 * - `outbox_unpublished (id)` goes (after the delete, so its lock is held only until the commit):
 *   the primary key gives the relay its oldest-first order once the published rows are gone.
 * - No index is built: `outbox_key_unpublished (message_key) WHERE published_at IS NULL` stays and
 *   covers every row written from now on. (Building one would scan the whole table while blocking
 *   inserts, i.e. orders, for as long.)
 * - `published_at` stays, always NULL from now on; the code still reads only `published_at IS NULL`,
 *   so a row an older function version marks during a deploy is ignored.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    DELETE FROM outbox WHERE published_at IS NOT NULL;
    DROP INDEX IF EXISTS outbox_unpublished;
    COMMENT ON COLUMN outbox.published_at IS 'unused since 1764900000000_outbox-delete-on-publish: a sent row is deleted';
    COMMENT ON TABLE outbox IS 'events committed with their state change and not yet acknowledged by Kafka (and the bus); a sent row is deleted';
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
    COMMENT ON COLUMN outbox.published_at IS NULL;
    COMMENT ON TABLE outbox IS NULL;
  `);
};

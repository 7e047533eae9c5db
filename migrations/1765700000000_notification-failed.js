/* eslint-disable */
/**
 * A notification the provider refused for good (node-pg-migrate 7, CommonJS).
 *
 * Status FAILED (with `last_error`, the provider's reason): SES refused the message itself (an
 * unverified recipient while the account is in the SES sandbox, a malformed address). The consumer
 * marks the row and sends the event to dead-letter instead of failing the batch, which would be
 * delivered again and refused again, holding every later event of its partition. The notification
 * role (1765500000000) has UPDATE on the table, which covers the new column.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`ALTER TABLE notifications ADD COLUMN IF NOT EXISTS last_error text`);
  pgm.sql(`ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_status_known`);
  pgm.sql(`ALTER TABLE notifications ADD CONSTRAINT notifications_status_known CHECK (status IN ('PENDING', 'SENT', 'NO_ADDRESS', 'FAILED')) NOT VALID`);
  pgm.sql(`ALTER TABLE notifications VALIDATE CONSTRAINT notifications_status_known`);
};

exports.down = (pgm) => {
  pgm.sql(`UPDATE notifications SET status = 'PENDING' WHERE status = 'FAILED'`);
  pgm.sql(`ALTER TABLE notifications DROP CONSTRAINT IF EXISTS notifications_status_known`);
  pgm.sql(`ALTER TABLE notifications ADD CONSTRAINT notifications_status_known CHECK (status IN ('PENDING', 'SENT', 'NO_ADDRESS'))`);
  pgm.sql(`ALTER TABLE notifications DROP COLUMN IF EXISTS last_error`);
};

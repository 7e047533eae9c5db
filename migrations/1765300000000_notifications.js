/* eslint-disable */
/**
 * The notification service's sent (and to-be-sent) messages (node-pg-migrate 7, CommonJS).
 *
 * One row per (event, template): the UNIQUE constraint is the consumer's idempotency key, so a
 * redelivered event finds its row and is not sent twice. `status`: PENDING (inserted, not sent yet
 * or its send failed — `attempts` counts the failed and successful sends), SENT (the provider
 * accepted it: `provider_message_id`, `sent_at`), NO_ADDRESS (the user has no account: nothing
 * sent). Locally this table is the outbox the tests read.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE notifications (
      id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
      event_id            uuid        NOT NULL,
      template            text        NOT NULL,
      user_id             text        NOT NULL,
      channel             text        NOT NULL DEFAULT 'email',
      recipient           text,
      subject             text        NOT NULL,
      body                text        NOT NULL,
      status              text        NOT NULL,
      provider_message_id text,
      attempts            integer     NOT NULL DEFAULT 0,
      created_at          timestamptz NOT NULL DEFAULT now(),
      sent_at             timestamptz,
      CONSTRAINT notifications_event_template_key UNIQUE (event_id, template),
      CONSTRAINT notifications_status_known CHECK (status IN ('PENDING', 'SENT', 'NO_ADDRESS')),
      CONSTRAINT notifications_channel_known CHECK (channel IN ('email')),
      CONSTRAINT notifications_recipient_present CHECK (status = 'NO_ADDRESS' OR recipient IS NOT NULL),
      CONSTRAINT notifications_attempts_nonnegative CHECK (attempts >= 0)
    );
    CREATE INDEX notifications_user_created_idx ON notifications (user_id, created_at);
  `);
};

exports.down = (pgm) => {
  pgm.sql(`DROP TABLE IF EXISTS notifications`);
};

/* eslint-disable */
/**
 * Order saga schema (node-pg-migrate 7, CommonJS so the same file runs under tsx, jest and in the
 * bundled migrations Lambda). Orders, order items, inventory, reservations, payments, the outbox
 * and processed_messages (idempotency per (order id, step)).
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE inventory (
      sku          text PRIMARY KEY CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
      price_cents  bigint NOT NULL CHECK (price_cents >= 0),
      stock        integer NOT NULL CHECK (stock >= 0),
      updated_at   timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE orders (
      id               uuid PRIMARY KEY,
      user_id          text NOT NULL,
      status           text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED')),
      amount_cents     bigint NOT NULL CHECK (amount_cents >= 0),
      currency         char(3) NOT NULL,
      payment_token    text NOT NULL,
      idempotency_key  text,
      request_hash     text,
      cancel_error     text,
      cancel_cause     text,
      created_at       timestamptz NOT NULL DEFAULT now(),
      updated_at       timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT orders_user_idempotency_key UNIQUE (user_id, idempotency_key)
    );
    CREATE INDEX orders_user_created ON orders (user_id, created_at DESC, id DESC);

    CREATE TABLE order_items (
      order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
      sku               text NOT NULL REFERENCES inventory (sku),
      quantity          integer NOT NULL CHECK (quantity > 0),
      unit_price_cents  bigint NOT NULL CHECK (unit_price_cents >= 0),
      PRIMARY KEY (order_id, sku)
    );

    CREATE TABLE reservations (
      order_id     uuid NOT NULL,
      sku          text NOT NULL REFERENCES inventory (sku),
      quantity     integer NOT NULL CHECK (quantity > 0),
      status       text NOT NULL DEFAULT 'RESERVED' CHECK (status IN ('RESERVED', 'RELEASED')),
      created_at   timestamptz NOT NULL DEFAULT now(),
      released_at  timestamptz,
      PRIMARY KEY (order_id, sku)
    );

    CREATE TABLE payments (
      order_id          uuid PRIMARY KEY,
      status            text NOT NULL CHECK (status IN ('AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED')),
      amount_cents      bigint NOT NULL CHECK (amount_cents >= 0),
      currency          char(3) NOT NULL,
      authorization_id  text NOT NULL,
      capture_id        text,
      refund_id         text,
      created_at        timestamptz NOT NULL DEFAULT now(),
      updated_at        timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE outbox (
      id            bigserial PRIMARY KEY,
      event_id      uuid NOT NULL UNIQUE,
      topic         text NOT NULL,
      message_key   text NOT NULL,
      payload       jsonb NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT now(),
      published_at  timestamptz,
      attempts      integer NOT NULL DEFAULT 0,
      last_error    text
    );
    CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
    CREATE INDEX outbox_key_unpublished ON outbox (message_key) WHERE published_at IS NULL;

    CREATE TABLE processed_messages (
      order_id      text NOT NULL,
      step          text NOT NULL,
      result        jsonb NOT NULL DEFAULT '{}'::jsonb,
      processed_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (order_id, step)
    );
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    DROP TABLE IF EXISTS processed_messages, outbox, payments, reservations, order_items, orders, inventory;
  `);
};

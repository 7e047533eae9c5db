/* eslint-disable */
/**
 * A saga step in one round trip (node-pg-migrate 7, CommonJS): the functions runStepOnce's fast
 * path (functions/shared/idempotency.ts) sends with the step's own statement, as ONE implicit
 * transaction (a multi-statement simple query: any error rolls all of it back):
 *
 *   SELECT saga_step_open(ns, order, step, conflicts);   -- the per-order lock; refuses a recorded step
 *   <the step's statement, with saga_expect(...) inside>   -- refuses anything but the normal path
 *   SELECT saga_step_close(order, step, result, outbox);  -- the step's record and its outbox rows
 *
 * A refusal raises SQLSTATE SG001 (the step, or a step that rules it out, is recorded) or SG002 (the
 * statement found the order off its normal path); the caller then runs the step the general way
 * (two round trips, the decision in TypeScript), which replays, refuses or compensates.
 * Being PL/pgSQL, their statements are planned once per session.
 */
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.sql(`
    CREATE FUNCTION saga_step_open(p_ns integer, p_order text, p_step text, p_conflicts text[]) RETURNS void
    LANGUAGE plpgsql AS $fn$
    BEGIN
      PERFORM pg_advisory_xact_lock(p_ns, hashtext(p_order));
      IF EXISTS (SELECT 1 FROM processed_messages WHERE order_id = p_order AND (step = p_step OR step = ANY (p_conflicts))) THEN
        RAISE EXCEPTION 'saga step % of order %: already recorded, or one of % is', p_step, p_order, p_conflicts USING ERRCODE = 'SG001';
      END IF;
    END
    $fn$;

    CREATE FUNCTION saga_expect(p_ok boolean, p_what text) RETURNS boolean
    LANGUAGE plpgsql AS $fn$
    BEGIN
      IF p_ok IS NOT TRUE THEN
        RAISE EXCEPTION 'saga step off its normal path: %', p_what USING ERRCODE = 'SG002';
      END IF;
      RETURN true;
    END
    $fn$;

    CREATE FUNCTION saga_step_close(p_order text, p_step text, p_result jsonb, p_outbox jsonb) RETURNS void
    LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO processed_messages (order_id, step, result) VALUES (p_order, p_step, p_result);
      IF jsonb_array_length(p_outbox) > 0 THEN
        INSERT INTO outbox (event_id, topic, message_key, payload)
        SELECT (m ->> 'id')::uuid, m ->> 'topic', m ->> 'key', m -> 'event' FROM jsonb_array_elements(p_outbox) AS m;
      END IF;
    END
    $fn$;
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    DROP FUNCTION IF EXISTS saga_step_close(text, text, jsonb, jsonb);
    DROP FUNCTION IF EXISTS saga_expect(boolean, text);
    DROP FUNCTION IF EXISTS saga_step_open(integer, text, text, text[]);
  `);
};

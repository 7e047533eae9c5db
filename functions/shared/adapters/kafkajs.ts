/**
 * kafkajs, with the fix for its request-queue timer loop applied. Import kafkajs through this module
 * (handlers, the local runtime, the engines' probes, the topics custom resource), so every client
 * the platform makes has it.
 *
 * The bug (kafkajs 2.2.4, its last release; tulios/kafkajs#1704 and #1751, fixes proposed in #1755
 * and #1768, none merged): after each response, `RequestQueue.checkPendingRequests` calls
 * `scheduleCheckPendingRequests`, which, with no request pending and no throttle, arms a timer for
 * `throttledUntil - Date.now()` ms (-1 - now: Node runs it after 1 ms; Node 24 also prints a
 * TimeoutNegativeWarning) that calls `checkPendingRequests` again. So every broker connection that
 * has ever had an answer runs a 1 ms timer loop forever: measured here, the idle local platform used
 * 5.7% of a core, and a Lambda's event loop never goes quiet while a client is connected.
 *
 * The fix, as proposed upstream: with nothing pending and no throttle in force there is nothing to
 * check later (a new request, a response or a timeout checks the queue again), so no timer.
 */
interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const FIXED = Symbol.for('shop.kafkajs.requestQueueTimerLoopFixed');

/** Applies the fix once per loaded copy of kafkajs; returns the patched prototype (for tests). */
export function fixRequestQueueTimerLoop(): RequestQueueLike {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueLike & { [FIXED]?: true } };
  const proto = RequestQueue.prototype;
  if (proto[FIXED]) return proto;
  const original = proto.scheduleCheckPendingRequests;
  if (typeof original !== 'function') throw new Error('kafkajs: RequestQueue.scheduleCheckPendingRequests not found (kafkajs changed: review functions/shared/adapters/kafkajs.ts)');
  proto.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueLike) {
    if (this.pending.length === 0 && !(this.throttledUntil > Date.now())) return;
    original.call(this);
  };
  proto[FIXED] = true;
  return proto;
}

fixRequestQueueTimerLoop();

export * from 'kafkajs';

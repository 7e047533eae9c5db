/**
 * The kafkajs request-queue timer loop fix (functions/shared/adapters/kafkajs.ts), on kafkajs's own
 * RequestQueue: no timer when nothing waits, a timer when a request is pending or a throttle is on.
 */
import { fixRequestQueueTimerLoop } from '../../../functions/shared/adapters/kafkajs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (o: object) => {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
  checkPendingRequests(): void;
};

const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const queue = () => new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 1000, enforceRequestTimeout: true, clientId: 't', broker: 'b:1', logger });

afterEach(() => jest.useRealTimers());

test('with nothing pending and no throttle, checking the queue arms no timer (the loop kafkajs 2.2.4 runs forever)', () => {
  const q = queue();
  q.checkPendingRequests();
  expect(q.throttleCheckTimeoutId).toBeNull();
});

test('a pending request still gets its check scheduled', () => {
  const q = queue();
  q.pending.push({});
  q.scheduleCheckPendingRequests();
  expect(q.throttleCheckTimeoutId).not.toBeNull();
  clearTimeout(q.throttleCheckTimeoutId!);
});

test('a client-side throttle still gets a check at its end, even with nothing pending yet', () => {
  jest.useFakeTimers();
  const q = queue();
  const check = jest.spyOn(q, 'checkPendingRequests');
  q.throttledUntil = Date.now() + 50;
  q.scheduleCheckPendingRequests();
  expect(q.throttleCheckTimeoutId).not.toBeNull();
  jest.advanceTimersByTime(60);
  expect(check).toHaveBeenCalledTimes(1);
  // the throttle is over and nothing is pending: no further timer
  expect(q.throttleCheckTimeoutId).toBeNull();
  expect(jest.getTimerCount()).toBe(0);
});

test('the fix is applied once, however often the module asks for it', () => {
  const before = fixRequestQueueTimerLoop().scheduleCheckPendingRequests;
  expect(fixRequestQueueTimerLoop().scheduleCheckPendingRequests).toBe(before);
});

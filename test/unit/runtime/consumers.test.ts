import { manifest } from '../../../lib/manifest';
import { eventSourceGroups, isTransient } from '../../../local/runtime/consumers';
import { LambdaInvocationError, toInvocationError } from '../../../local/runtime/handlers';
import { DependencyUnavailableError, TransientError, ValidationError } from '../../../functions/shared/errors';

describe('consumer groups', () => {
  it('names groups as CDK does: groupId, or groupId.topic when the id serves several topics', () => {
    const groups = eventSourceGroups(manifest);
    expect(groups).toEqual(expect.arrayContaining([
      expect.objectContaining({ handler: 'SagaStarter', topic: 'order-created', groupId: 'saga-starter', batchSize: 100 }),
      expect.objectContaining({ handler: 'NotificationConsumer', topic: 'order-completed', groupId: 'notification.order-completed' }),
      expect.objectContaining({ handler: 'NotificationConsumer', topic: 'user-events', groupId: 'notification.user-events' }),
    ]));
  });
});

describe('transient failures (retried until they pass) vs poison (dead-lettered)', () => {
  it.each([
    ['TransientError', toInvocationError(new TransientError('x'))],
    ['DependencyUnavailableError', toInvocationError(new DependencyUnavailableError('x', 'pg'))],
    ['a Lambda timeout', new LambdaInvocationError('Sandbox.Timedout', 'Task timed out after 10.00 seconds')],
    ['a refused connection', toInvocationError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:15432'), { code: 'ECONNREFUSED' }))],
    ['a PostgreSQL shutdown', toInvocationError(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))],
    ['an AWS 5xx', toInvocationError(Object.assign(new Error('boom'), { name: 'InternalFailure', $fault: 'server' }))],
    ['a KafkaJS error', toInvocationError(Object.assign(new Error('x'), { name: 'KafkaJSNumberOfRetriesExceeded' }))],
  ])('treats %s as transient', (_label, err) => {
    expect(isTransient(err)).toBe(true);
  });

  it.each([
    ['a ValidationError', toInvocationError(new ValidationError('bad'))],
    ['a plain Error', toInvocationError(new Error('cannot parse'))],
    ['a TypeError', toInvocationError(new TypeError('x is undefined'))],
  ])('treats %s as poison', (_label, err) => {
    expect(isTransient(err)).toBe(false);
  });
});

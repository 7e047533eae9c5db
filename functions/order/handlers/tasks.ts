import { taskHandler } from '../../shared/saga-task';
import { count } from '../adapters/metrics';
import { BeginConfirmationInput, CancelInput, ConfirmInput, PublishInput } from '../domain/schemas';
import { beginConfirmation, cancelOrderForSaga, confirmOrder, publishOrderEvents } from '../use-cases/saga-steps';

const deps = { onSucceeded: () => count('SagaSucceeded'), onFailed: () => count('SagaFailed') };

/** OrderTasks: BeginConfirmation (the pivot), ConfirmOrder, CancelOrder and the publish states (dispatch on `action`). */
export const handler = taskHandler('order', {
  beginConfirmation: { schema: BeginConfirmationInput, run: (i: { orderId: string }) => beginConfirmation(i) },
  confirm: { schema: ConfirmInput, run: (i: { orderId: string; userId?: string; amountCents?: number; currency?: string }) => confirmOrder(deps, i) },
  cancel: { schema: CancelInput, run: (i: { orderId: string; reason?: { Error: string; Cause?: unknown } }) => cancelOrderForSaga(deps, i) },
  publish: { schema: PublishInput, run: (i: { orderId: string; eventBusName?: string }) => publishOrderEvents(i) },
});

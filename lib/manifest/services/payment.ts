import type { ServiceDef } from '../types';

export const paymentService: ServiceDef = {
  name: 'payment',
  description: 'Authorize, capture, refund/void through a provider adapter behind a circuit breaker and retries.',
  handlers: [
    {
      name: 'PaymentTasks',
      kind: 'task',
      entry: 'functions/payment/handlers/tasks.ts',
      description: 'Saga tasks: AuthorizePayment, CapturePayment, RefundPayment (refund or void); events via the outbox',
      produces: ['payment-events'],
      stores: ['postgres'],
      timeoutSeconds: 30,
      implemented: true,
    },
  ],
};

import { ConflictError, DependencyUnavailableError, ForbiddenError, NotImplementedError, UnauthorizedError, UnprocessableError } from '../../shared/errors';

/**
 * The web3 service's named errors. Every refusal of a sign-in is a 401 whose code says which check
 * failed (the client can tell "ask for a new nonce" from "wrong domain"); every refusal of a payment
 * names what the transaction lacks.
 */

/** 401: the SIWE message or its signature is not acceptable. `code` names the check. */
export class SiweRejectedError extends UnauthorizedError {
  constructor(message: string, code: 'SIWE_DOMAIN' | 'SIWE_CHAIN' | 'SIWE_EXPIRED' | 'SIWE_NOT_YET_VALID' | 'SIWE_STALE' | 'SIWE_NONCE' | 'SIWE_SIGNATURE') {
    super(message, code);
  }
}

/** 501: this deployment has not configured the part a route needs (a CDK context value). */
export class Web3NotConfiguredError extends NotImplementedError {
  constructor(what: string, setting: string) {
    super(`${what} is not configured for this deployment (set ${setting})`);
  }
}

/** 503: the JSON-RPC endpoint did not answer, or its URL secret holds no URL yet. */
export class ChainUnavailableError extends DependencyUnavailableError {
  constructor(message: string) {
    super(message, 'chain');
  }
}

/** 422 with a specific code: the transaction exists (or not) but does not pay the order. */
export class PaymentNotAcceptedError extends UnprocessableError {
  constructor(message: string, code: 'TX_NOT_FOUND' | 'TX_FAILED' | 'NO_PAYMENT_IN_TX' | 'CURRENCY_MISMATCH') {
    super(message, [{ path: code === 'CURRENCY_MISMATCH' ? 'orderId' : 'txHash', message }], code);
  }
}

/** 409: not yet enough blocks on top of the payment's; the same request later succeeds. */
export class PaymentNotConfirmedError extends ConflictError {
  constructor(
    readonly confirmations: number,
    readonly required: number,
  ) {
    super(`txHash: ${confirmations} of ${required} confirmations; retry when the transaction has ${required}`, 'TX_NOT_CONFIRMED');
  }
}

/** 409: the transaction already paid another order. */
export class TxAlreadyUsedError extends ConflictError {
  constructor() {
    super('txHash: this transaction already paid another order', 'TX_ALREADY_USED');
  }
}

/** The words every refusal of a recorded payment ends with. */
const REFUND_NOTE = 'the payment is recorded and will be paid back to the wallet it came from (CryptoRefundDue)';

/** 409: the order is already paid by another transaction; this one is recorded for a refund. */
export class OrderAlreadyPaidError extends ConflictError {
  constructor(why: string) {
    super(`orderId: ${why}; ${REFUND_NOTE}`, 'ORDER_ALREADY_PAID');
  }
}

/**
 * 409: the order takes no crypto payment: a card order, a finished or cancelling one, or one the saga
 * began to compensate. The payment is recorded for a refund.
 */
export class OrderNotPayableError extends ConflictError {
  constructor(why: string) {
    super(`orderId: ${why}; ${REFUND_NOTE}`, 'ORDER_NOT_PAYABLE');
  }
}

/** 422 UNDERPAID: the transfer is short of the order's total; it is recorded for a refund. */
export class UnderpaidError extends UnprocessableError {
  constructor(why: string) {
    super(`txHash: ${why}; ${REFUND_NOTE}`, [{ path: 'txHash', message: why }], 'UNDERPAID');
  }
}

/** 409 ORDER_NOT_READY: the saga has not reserved the order's stock yet; nothing is recorded, retry in a few seconds. */
export class OrderNotReadyError extends ConflictError {
  constructor() {
    super('orderId: the order is not ready to take its payment yet (its stock is being reserved); retry in a few seconds', 'ORDER_NOT_READY');
  }
}

/** 403: the tokens came from a wallet the caller has not proven to own (SIWE). */
export class PayerNotLinkedError extends ForbiddenError {
  constructor(payer: string) {
    super(`txHash: the payment was sent from ${payer}, which is not a wallet you signed in with (POST /web3/verify)`, 'PAYER_NOT_LINKED');
  }
}

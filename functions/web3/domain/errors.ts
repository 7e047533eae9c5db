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
  constructor(message: string, code: 'TX_NOT_FOUND' | 'TX_FAILED' | 'NO_PAYMENT_IN_TX' | 'UNDERPAID' | 'CURRENCY_MISMATCH') {
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

/** 409: the order is already paid by another transaction. */
export class OrderAlreadyPaidError extends ConflictError {
  constructor(readonly txHash: string) {
    super(`orderId: the order is already paid by transaction ${txHash}`, 'ORDER_ALREADY_PAID');
  }
}

/** 409: the order takes no crypto payment: a card order, a finished or cancelling one, or one the saga began to compensate. */
export class OrderNotPayableError extends ConflictError {
  constructor(why: string) {
    super(`orderId: ${why}`, 'ORDER_NOT_PAYABLE');
  }
}

/** 403: the tokens came from a wallet the caller has not proven to own (SIWE). */
export class PayerNotLinkedError extends ForbiddenError {
  constructor(payer: string) {
    super(`txHash: the payment was sent from ${payer}, which is not a wallet you signed in with (POST /web3/verify)`, 'PAYER_NOT_LINKED');
  }
}

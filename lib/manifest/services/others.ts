import { ErrorResponseSchema } from '../../../functions/order/domain/schemas';
import { LoginBodySchema, MeResponseSchema, RegisterBodySchema, RegisterResponseSchema, SessionResponseSchema } from '../../../functions/user/domain/schemas';
import { CryptoPaymentSchema, NonceResponseSchema, PaymentVerifyBodySchema, SignInResponseSchema, VerifyBodySchema } from '../../../functions/web3/domain/schemas';
import type { ServiceDef } from '../types';

const bad = { 400: { description: 'Invalid request; issues name each bad field', schema: ErrorResponseSchema } };

export const userService: ServiceDef = {
  name: 'user',
  description: 'Register, log in, JWT, roles, sessions in Redis (24 h TTL).',
  handlers: [
    {
      name: 'UserApi',
      kind: 'http',
      entry: 'functions/user/handlers/api.ts',
      description: 'POST /users, POST /sessions, GET /users/me, DELETE /sessions/current',
      routes: [
        {
          method: 'POST',
          path: '/users',
          auth: 'public',
          summary: 'Register (every account starts as customer)',
          request: { body: RegisterBodySchema },
          responses: {
            201: { description: 'Registered', schema: RegisterResponseSchema },
            ...bad,
            409: { description: 'EMAIL_TAKEN: an account with this email exists', schema: ErrorResponseSchema },
          },
        },
        {
          method: 'POST',
          path: '/sessions',
          auth: 'public',
          summary: 'Log in; returns a JWT of a 24 h session',
          request: { body: LoginBodySchema },
          responses: { 200: { description: 'A session token', schema: SessionResponseSchema }, ...bad, 401: { description: 'Wrong email or password', schema: ErrorResponseSchema } },
        },
        {
          method: 'GET',
          path: '/users/me',
          auth: 'user',
          summary: 'The caller',
          responses: { 200: { description: 'The caller\'s account', schema: MeResponseSchema }, 401: { description: 'Missing or invalid token', schema: ErrorResponseSchema }, 404: { description: 'The token\'s user has no account', schema: ErrorResponseSchema } },
        },
        {
          method: 'DELETE',
          path: '/sessions/current',
          auth: 'user',
          summary: 'Log out: ends the session of the token (on AWS a cached authorizer decision may let it through for up to 5 min)',
          responses: { 204: { description: 'Session ended' }, 401: { description: 'Missing or invalid token', schema: ErrorResponseSchema } },
        },
      ],
      produces: ['user-events'],
      stores: ['postgres', 'redis', 'kafka-producer'],
      implemented: true,
    },
  ],
};

export const notificationService: ServiceDef = {
  name: 'notification',
  description: 'Consumes order and user events, renders templates, sends through SES/SNS adapters.',
  handlers: [
    {
      name: 'NotificationConsumer',
      kind: 'consumer',
      entry: 'functions/notification/handlers/consumer.ts',
      description: 'Sends order and account notifications (templates, one row per event in notifications); poison records go to dead-letter',
      consumes: [
        { topic: 'order-completed', groupId: 'notification' },
        { topic: 'order-failed', groupId: 'notification' },
        { topic: 'user-events', groupId: 'notification' },
      ],
      produces: ['dead-letter'],
      stores: ['postgres', 'kafka-producer', 'email'],
      // Each send waits for SES (up to 3 tries of 5 s) holding one of the function's 2 connections.
      timeoutSeconds: 60,
      implemented: true,
    },
  ],
};

export const web3Service: ServiceDef = {
  name: 'web3',
  description: 'Wallet sign-in (SIWE, EIP-4361) and stablecoin payment verification against a JSON-RPC chain.',
  handlers: [
    {
      name: 'Web3Api',
      kind: 'http',
      entry: 'functions/web3/handlers/api.ts',
      description: 'POST /web3/nonce, POST /web3/verify, POST /web3/payments/verify',
      routes: [
        {
          method: 'POST',
          path: '/web3/nonce',
          auth: 'public',
          summary: 'A single-use sign-in nonce, with the domain and chain the SIWE message must name',
          responses: {
            200: { description: 'A nonce, live for 5 min', schema: NonceResponseSchema },
            501: { description: 'Wallet sign-in is not configured (CDK context siweDomain)', schema: ErrorResponseSchema },
          },
        },
        {
          method: 'POST',
          path: '/web3/verify',
          auth: 'public',
          summary: 'Sign in with Ethereum: verify the signed SIWE message; returns a JWT of a 24 h session',
          request: { body: VerifyBodySchema },
          responses: {
            200: { description: 'A session token for the wallet\'s account (made on its first sign-in)', schema: SignInResponseSchema },
            ...bad,
            401: { description: 'SIWE_DOMAIN, SIWE_CHAIN, SIWE_EXPIRED, SIWE_NOT_YET_VALID, SIWE_STALE, SIWE_NONCE or SIWE_SIGNATURE: which check failed', schema: ErrorResponseSchema },
            503: { description: 'The session store or, for a contract wallet, the chain did not answer; retry', schema: ErrorResponseSchema },
          },
        },
        {
          method: 'POST',
          path: '/web3/payments/verify',
          auth: 'user',
          summary: 'Verify that an on-chain stablecoin transfer pays one of the caller\'s orders, and record it (safe to retry)',
          request: { body: PaymentVerifyBodySchema },
          responses: {
            200: { description: 'The verified payment (the same body on a retry)', schema: CryptoPaymentSchema },
            ...bad,
            403: { description: 'PAYER_NOT_LINKED: the tokens came from a wallet the caller has not signed in with', schema: ErrorResponseSchema },
            404: { description: 'No such order of the caller', schema: ErrorResponseSchema },
            409: { description: 'TX_NOT_CONFIRMED (retry later), TX_ALREADY_USED, ORDER_ALREADY_PAID or ORDER_NOT_PAYABLE', schema: ErrorResponseSchema },
            422: { description: 'TX_NOT_FOUND, TX_FAILED, NO_PAYMENT_IN_TX, UNDERPAID or CURRENCY_MISMATCH', schema: ErrorResponseSchema },
            501: { description: 'Crypto payments are not configured (CDK context web3PayeeAddress)', schema: ErrorResponseSchema },
            503: { description: 'The chain did not answer, or its RPC URL secret is not set yet; retry', schema: ErrorResponseSchema },
          },
        },
      ],
      produces: ['payment-events'],
      stores: ['redis', 'postgres', 'chain', 'kafka-producer'],
      implemented: true,
    },
    {
      name: 'Web3PaymentWatcher',
      kind: 'schedule',
      entry: 'functions/web3/handlers/watcher.ts',
      description: "Reads the token's transfers to the shop's wallet and verifies each one nobody verified, for the payer's oldest waiting crypto order (paid, or recorded for a refund; unattributable ones counted and alarmed)",
      schedule: 'rate(1 minute)',
      produces: ['payment-events'],
      stores: ['postgres', 'chain', 'kafka-producer'],
      timeoutSeconds: 60,
      reservedConcurrency: 1,
      implemented: true,
    },
  ],
};

export const platformService: ServiceDef = {
  name: 'platform',
  description: 'Cross-cutting entries: the JWT authorizer and deploy-time custom resources.',
  handlers: [
    {
      name: 'Authorizer',
      kind: 'authorizer',
      entry: 'functions/platform/authorizer.ts',
      description: 'JWT (jose) Lambda authorizer; puts userId and roles in the request context',
      // redis: a session token's `sid` must still be in Redis (functions/user, DELETE /sessions/current).
      stores: ['redis'],
      implemented: true,
    },
    {
      name: 'Migrations',
      kind: 'custom-resource',
      entry: 'functions/platform/migrations.ts',
      description: 'Runs the PostgreSQL migrations on deploy (same code as local start)',
      stores: ['postgres'],
      timeoutSeconds: 300,
      implemented: true,
    },
    {
      name: 'KafkaTopics',
      kind: 'custom-resource',
      entry: 'functions/platform/kafka-topics.ts',
      description: 'Creates the manifest topics (partitions, replication, retention) on deploy',
      stores: [],
      timeoutSeconds: 300,
      implemented: false,
    },
  ],
};

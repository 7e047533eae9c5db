import type { ServiceDef } from '../types';

export const userService: ServiceDef = {
  name: 'user',
  description: 'Register, log in, JWT, roles, sessions in Redis (24 h TTL).',
  handlers: [
    {
      name: 'UserApi',
      kind: 'http',
      entry: 'functions/user/handlers/api.ts',
      description: 'POST /users, POST /sessions, GET /users/me',
      routes: [
        { method: 'POST', path: '/users', auth: 'public', summary: 'Register' },
        { method: 'POST', path: '/sessions', auth: 'public', summary: 'Log in; returns a JWT' },
        { method: 'GET', path: '/users/me', auth: 'user', summary: 'The caller' },
      ],
      produces: ['user-events'],
      stores: ['postgres', 'redis', 'kafka-producer'],
      implemented: false,
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
      description: 'Sends order and account notifications',
      consumes: [
        { topic: 'order-completed', groupId: 'notification' },
        { topic: 'order-failed', groupId: 'notification' },
        { topic: 'user-events', groupId: 'notification' },
      ],
      stores: ['postgres'],
      implemented: false,
    },
  ],
};

export const web3Service: ServiceDef = {
  name: 'web3',
  description: 'Wallet sign-in (SIWE) and crypto payment verification against a JSON-RPC chain.',
  handlers: [
    {
      name: 'Web3Api',
      kind: 'http',
      entry: 'functions/web3/handlers/api.ts',
      description: 'POST /web3/nonce, POST /web3/verify, POST /web3/payments/verify',
      routes: [
        { method: 'POST', path: '/web3/nonce', auth: 'public', summary: 'A SIWE nonce' },
        { method: 'POST', path: '/web3/verify', auth: 'public', summary: 'Verify a SIWE signature; returns a JWT' },
        { method: 'POST', path: '/web3/payments/verify', auth: 'user', summary: 'Verify a crypto payment for an order' },
      ],
      stores: ['redis', 'postgres'],
      implemented: false,
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
      stores: [],
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

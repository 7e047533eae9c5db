import type { ServiceDef } from '../types';

export const catalogService: ServiceDef = {
  name: 'catalog',
  description: 'CQRS + event sourcing: event store in DocumentDB, relay to Kafka, projector to OpenSearch, cache in Redis.',
  handlers: [
    {
      name: 'CatalogApi',
      kind: 'http',
      entry: 'functions/catalog/handlers/api.ts',
      description: 'Product commands and queries, search',
      routes: [
        { method: 'POST', path: '/products', auth: 'admin', summary: 'Create a product' },
        { method: 'GET', path: '/products', auth: 'public', summary: 'Products by category, cursor pagination' },
        { method: 'GET', path: '/products/{id}', auth: 'public', summary: 'One product (cache-aside)' },
        { method: 'PATCH', path: '/products/{id}', auth: 'admin', summary: 'Update details (expectedVersion)' },
        { method: 'POST', path: '/products/{id}/price', auth: 'admin', summary: 'Change price (expectedVersion)' },
        { method: 'POST', path: '/products/{id}/popularity', auth: 'admin', summary: 'Adjust popularity (expectedVersion)' },
        { method: 'POST', path: '/products/{id}/retire', auth: 'admin', summary: 'Retire a product (expectedVersion)' },
        { method: 'GET', path: '/search', auth: 'public', summary: 'Full-text search with filters, sort and facets' },
      ],
      stores: ['docdb', 'opensearch', 'redis'],
      implemented: false,
    },
    {
      name: 'CatalogRelay',
      kind: 'schedule',
      entry: 'functions/catalog/handlers/relay.ts',
      description: 'Publishes new catalog events to Kafka in order per product, resuming from a checkpoint',
      schedule: 'rate(1 minute)',
      produces: ['catalog-events'],
      stores: ['docdb', 'kafka-producer'],
      timeoutSeconds: 60,
      reservedConcurrency: 1,
      implemented: false,
    },
    {
      name: 'CatalogProjector',
      kind: 'consumer',
      entry: 'functions/catalog/handlers/projector.ts',
      description: 'Projects catalog events into the OpenSearch index and invalidates cache entries',
      consumes: [{ topic: 'catalog-events', groupId: 'catalog-projector', batchSize: 500 }],
      stores: ['opensearch', 'redis'],
      timeoutSeconds: 60,
      implemented: false,
    },
  ],
};

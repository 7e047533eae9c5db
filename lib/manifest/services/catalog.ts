import {
  AdjustPopularityBody,
  ChangePriceBody,
  CommandResult,
  CreateProductBody,
  ErrorBody,
  ListProductsQuery,
  ProductIdParams,
  ProductPage,
  ProductView,
  RetireBody,
  SearchQuery,
  SearchResult,
  UpdateDetailsBody,
} from '../../../functions/catalog/schemas';
import type { ServiceDef } from '../types';

const bad = { 400: { description: 'Invalid request; issues name each bad field', schema: ErrorBody } };
const admin = { 401: { description: 'No credentials', schema: ErrorBody }, 403: { description: 'Not an admin', schema: ErrorBody } };
const conflict = { 409: { description: 'Stale expectedVersion (VERSION_CONFLICT) or retired product', schema: ErrorBody } };
const notFound = { 404: { description: 'No such product', schema: ErrorBody } };
const command = (code: number) => ({ [code]: { description: 'Event appended', schema: CommandResult } });

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
        { method: 'POST', path: '/products', auth: 'admin', summary: 'Create a product', request: { body: CreateProductBody }, responses: { ...command(201), ...bad, ...admin, ...conflict } },
        { method: 'GET', path: '/products', auth: 'public', summary: 'Products by category, cursor pagination', request: { query: ListProductsQuery }, responses: { 200: { description: 'A page', schema: ProductPage }, ...bad } },
        { method: 'GET', path: '/products/{id}', auth: 'public', summary: 'One product (cache-aside)', request: { params: ProductIdParams }, responses: { 200: { description: 'The product', schema: ProductView }, ...bad, ...notFound } },
        { method: 'PATCH', path: '/products/{id}', auth: 'admin', summary: 'Update details (expectedVersion)', request: { params: ProductIdParams, body: UpdateDetailsBody }, responses: { ...command(200), ...bad, ...admin, ...notFound, ...conflict } },
        { method: 'POST', path: '/products/{id}/price', auth: 'admin', summary: 'Change price (expectedVersion)', request: { params: ProductIdParams, body: ChangePriceBody }, responses: { ...command(200), ...bad, ...admin, ...notFound, ...conflict } },
        { method: 'POST', path: '/products/{id}/popularity', auth: 'admin', summary: 'Adjust popularity (expectedVersion)', request: { params: ProductIdParams, body: AdjustPopularityBody }, responses: { ...command(200), ...bad, ...admin, ...notFound, ...conflict } },
        { method: 'POST', path: '/products/{id}/retire', auth: 'admin', summary: 'Retire a product (expectedVersion)', request: { params: ProductIdParams, body: RetireBody }, responses: { ...command(200), ...bad, ...admin, ...notFound, ...conflict } },
        { method: 'GET', path: '/search', auth: 'public', summary: 'Full-text search with filters, sort and facets', request: { query: SearchQuery }, responses: { 200: { description: 'Results with facets', schema: SearchResult }, ...bad } },
      ],
      stores: ['docdb', 'opensearch', 'redis'],
      implemented: true,
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
      implemented: true,
    },
    {
      name: 'CatalogProjector',
      kind: 'consumer',
      entry: 'functions/catalog/handlers/projector.ts',
      description: 'Projects catalog events into the OpenSearch index and invalidates cache entries; poison records go to dead-letter',
      consumes: [{ topic: 'catalog-events', groupId: 'catalog-projector', batchSize: 500 }],
      produces: ['dead-letter'],
      stores: ['opensearch', 'redis', 'kafka-producer'],
      timeoutSeconds: 60,
      implemented: true,
    },
  ],
};

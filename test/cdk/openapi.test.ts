import { z } from 'zod';
import { allRoutes, manifest, type PlatformManifest } from '../../lib/manifest';
import { buildOpenApiDocument, operationId, pathParameterNames, requestBodyJsonSchema, requestParameters, toJsonSchemaDraft4 } from '../../lib/openapi';

const tiny = (routes: any[]): PlatformManifest => ({
  ...manifest,
  services: [{ name: 'order', description: 'test', handlers: [{ name: 'T', kind: 'http', entry: 'x.ts', description: 'd', stores: [], implemented: true, routes }] }],
});

describe('buildOpenApiDocument', () => {
  const doc = buildOpenApiDocument();

  test('has every manifest route with an operation id; protected routes require the bearer JWT', () => {
    for (const r of allRoutes()) {
      const op = (doc.paths as any)[r.path]?.[r.method.toLowerCase()];
      expect([r.method, r.path, op?.operationId]).toEqual([r.method, r.path, operationId(r.method, r.path)]);
      if (r.auth === 'public') expect(op.security).toBeUndefined();
      else expect(op.security).toEqual([{ bearerJwt: [] }]);
      for (const p of pathParameterNames(r.path)) expect(op.parameters.some((x: any) => x.in === 'path' && x.name === p && x.required)).toBe(true);
    }
    expect(doc.openapi).toBe('3.0.3');
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc); // serializable as /openapi.json
  });

  test('route zod schemas become request bodies, query parameters and responses', () => {
    const m = tiny([
      {
        method: 'POST',
        path: '/things/{id}',
        auth: 'user',
        summary: 's',
        request: {
          body: z.object({ qty: z.number().int().positive(), note: z.string().nullable().optional() }),
          query: z.object({ dryRun: z.string().optional() }),
        },
        responses: { 202: { description: 'accepted', schema: z.object({ id: z.string() }) } },
      },
    ]);
    const d = buildOpenApiDocument(m);
    const body = requestBodyJsonSchema(d, 'POST', '/things/{id}');
    expect(body).toEqual({
      $schema: 'http://json-schema.org/draft-04/schema#',
      type: 'object',
      properties: { qty: { type: 'integer', minimum: 0, exclusiveMinimum: true }, note: { type: ['string', 'null'] } },
      required: ['qty'],
    });
    expect(requestParameters(d, 'POST', '/things/{id}')).toEqual([
      { in: 'path', name: 'id', required: true },
      { in: 'query', name: 'dryRun', required: false },
    ]);
    expect((d.paths as any)['/things/{id}'].post.responses['202'].content['application/json'].schema.properties.id).toEqual({ type: 'string' });
  });

  test('routes without schemas still appear', () => {
    const d = buildOpenApiDocument(tiny([{ method: 'GET', path: '/plain', auth: 'public', summary: 'p' }]));
    expect((d.paths as any)['/plain'].get.responses['200']).toBeDefined();
    expect(requestBodyJsonSchema(d, 'GET', '/plain')).toBeUndefined();
  });

  test('throws when query params are not a zod object', () => {
    expect(() => buildOpenApiDocument(tiny([{ method: 'GET', path: '/q', auth: 'public', summary: 'q', request: { query: z.string() } }]))).toThrow(/must be z.object/);
  });
});

describe('toJsonSchemaDraft4', () => {
  test('inlines component refs', () => {
    const d: any = { components: { schemas: { Item: { type: 'object', properties: { sku: { type: 'string', example: 'A-1' } } } } } };
    expect(toJsonSchemaDraft4({ type: 'array', items: { $ref: '#/components/schemas/Item' } }, d)).toEqual({ type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } });
  });

  test('throws on a recursive schema', () => {
    const d: any = { components: { schemas: { Node: { type: 'object', properties: { next: { $ref: '#/components/schemas/Node' } } } } } };
    expect(() => toJsonSchemaDraft4({ $ref: '#/components/schemas/Node' }, d)).toThrow(/recursive/);
  });

  test('throws on an unknown ref', () => {
    expect(() => toJsonSchemaDraft4({ $ref: '#/components/schemas/Nope' }, { components: { schemas: {} } } as any)).toThrow(/unknown schema ref/);
  });
});

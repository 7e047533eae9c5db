import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { allHandlers, allRoutes, manifest, validateManifest } from '../../lib/manifest';

describe('platform manifest', () => {
  it('is internally consistent', () => {
    expect(() => validateManifest(manifest)).not.toThrow();
  });

  it('declares one entry module per handler that exists on disk', () => {
    for (const h of allHandlers()) expect(existsSync(join(__dirname, '../..', h.entry))).toBe(true);
  });

  it('covers every service of the product', () => {
    const services = new Set(manifest.services.map((s) => s.name));
    for (const s of ['order', 'inventory', 'catalog', 'payment', 'user', 'notification', 'web3']) expect(services.has(s as never)).toBe(true);
  });

  it('rejects a duplicate route', () => {
    const broken = {
      ...manifest,
      services: [...manifest.services, { name: 'web3' as const, description: 'dup', handlers: [{ name: 'Dup', kind: 'http' as const, entry: 'x.ts', description: 'x', stores: [], implemented: false, routes: [allRoutes()[0]!] }] }],
    };
    expect(() => validateManifest(broken)).toThrow(/duplicate route/);
  });

  it('rejects a consumer of an undeclared topic', () => {
    const broken = {
      ...manifest,
      services: [...manifest.services, { name: 'web3' as const, description: 'x', handlers: [{ name: 'Ghost', kind: 'consumer' as const, entry: 'x.ts', description: 'x', stores: [], implemented: false, consumes: [{ topic: 'nope', groupId: 'g' }] }] }],
    };
    expect(() => validateManifest(broken)).toThrow(/undeclared topic 'nope'/);
  });
});

import { DependencyUnavailableError, DomainError } from '../../shared/errors';

/**
 * Turns a driver's "cannot reach the store" error into DependencyUnavailableError (503, retry),
 * so a store outage is never reported as a 500. Anything else is returned unchanged.
 */
const UNAVAILABLE = /^(Mongo(Network|NetworkTimeout|ServerSelection|NotConnected|TopologyClosed|PoolCleared)Error|ConnectionError|TimeoutError|NoLivingConnectionsError|MaxRetriesPerRequestError)$/;

export function asDependencyError(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  const e = err as { name?: string; message?: string; code?: string };
  if ((e?.name && UNAVAILABLE.test(e.name)) || e?.code === 'ECONNREFUSED' || e?.message === 'Connection is closed.') {
    const dep = /^Mongo/.test(e.name ?? '') ? 'docdb' : /Connection is closed|MaxRetries/.test(`${e.name} ${e.message}`) ? 'redis' : 'store';
    return new DependencyUnavailableError(`${dep} unavailable: ${e.message ?? e.name}`, dep);
  }
  return err;
}

import type { EngineName, Endpoints } from './endpoints';

export type Log = (message: string) => void;

/**
 * What every local engine module provides. The runner (index.ts) does the common work:
 * lock, reuse, pid files, readiness waits, errors naming the log file.
 */
export interface Engine {
  readonly name: EngineName;
  /** Human name with version, e.g. "PostgreSQL 15". */
  readonly title: string;
  /** A string that appears in the started process's command line (guards stop against a reused pid). */
  readonly marker: string;
  /** The signal for a clean, quick shutdown (default SIGTERM). */
  readonly stopSignal?: NodeJS.Signals;
  /** How long start may take before it is reported as failed. */
  readonly startTimeoutMs: number;
  /** Where it listens, for messages. */
  where(e: Endpoints): string;
  /** Cheap check (files on disk): is everything needed to start present? */
  installed(): boolean;
  /** Fetches and installs into .cache/ (or via apt). Idempotent. */
  install(log: Log): Promise<void>;
  /** One-time data preparation before the first start (initdb, storage format). Idempotent. */
  prepare?(log: Log): Promise<void>;
  /** Spawns the server detached (util.spawnDaemon); returns its pid. */
  launch(): Promise<number>;
  /** A real query through the official client; true when the engine answers. Must not throw. */
  probe(e: Endpoints): Promise<boolean>;
  /** One-time setup after the first successful probe (roles, databases). Idempotent. */
  afterReady?(e: Endpoints, log: Log): Promise<void>;
}

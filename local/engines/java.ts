/** Java and Maven for the JVM engines (Kafka, OpenSearch). */
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Log } from './types';
import { CACHE_DIR, aptInstall, run, which } from './util';

/** A java of at least `minMajor` (JAVA_HOME, then PATH, then /usr/lib/jvm). */
export async function javaHome(minMajor: number): Promise<string | undefined> {
  const candidates: string[] = [];
  if (process.env.JAVA_HOME) candidates.push(process.env.JAVA_HOME);
  const onPath = which('java');
  if (onPath) {
    const { realpathSync } = await import('node:fs');
    candidates.push(path.dirname(path.dirname(realpathSync(onPath))));
  }
  if (existsSync('/usr/lib/jvm')) for (const d of readdirSync('/usr/lib/jvm').sort()) candidates.push(path.join('/usr/lib/jvm', d));
  for (const home of candidates) {
    const java = path.join(home, 'bin', 'java');
    if (!existsSync(java)) continue;
    const major = await javaMajor(java);
    if (major !== undefined && major >= minMajor) return home;
  }
  return undefined;
}

const majors = new Map<string, number | undefined>();
async function javaMajor(java: string): Promise<number | undefined> {
  if (majors.has(java)) return majors.get(java);
  let major: number | undefined;
  try {
    const out = await run(java, ['-version'], { timeoutMs: 30_000 });
    const m = /version "(\d+)(?:\.(\d+))?/.exec(out);
    if (m) major = m[1] === '1' ? Number(m[2]) : Number(m[1]);
  } catch {
    major = undefined;
  }
  majors.set(java, major);
  return major;
}

export async function ensureJava(minMajor: number, log: Log): Promise<string> {
  let home = await javaHome(minMajor);
  if (!home) {
    await aptInstall(['openjdk-17-jre-headless'], log);
    majors.clear();
    home = await javaHome(minMajor);
  }
  if (!home) throw new Error(`no Java ${minMajor}+ found (set JAVA_HOME)`);
  return home;
}

export async function ensureMaven(log: Log): Promise<string> {
  const mvn = which('mvn');
  if (mvn) return mvn;
  await aptInstall(['maven'], log);
  const again = which('mvn');
  if (!again) throw new Error('mvn is missing after apt-get install maven');
  return again;
}

/** Maven's local repository lives in the engines cache, so removing .cache/engines really starts from nothing. */
export const M2_REPO = path.join(CACHE_DIR, 'm2');

export function mvnArgs(...goals: string[]): string[] {
  return ['-B', '-q', '-ntp', `-Dmaven.repo.local=${M2_REPO}`, ...goals];
}

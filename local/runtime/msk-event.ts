import type { KafkaMessage } from 'kafkajs';
import { kafkaClusterArn } from './env';

/**
 * The event an MSK event source mapping sends to Lambda (`eventSource: 'aws:kafka'`):
 * records grouped by 'topic-partition'; key and value base64; headers as a list of
 * { name: number[] } objects (byte arrays).
 */
export interface MskRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  key?: string;
  value: string;
  headers: Array<Record<string, number[]>>;
}
export interface MskEvent {
  eventSource: 'aws:kafka';
  eventSourceArn: string;
  bootstrapServers: string;
  records: Record<string, MskRecord[]>;
}

function headerBytes(v: unknown): number[] {
  if (v === undefined || v === null) return [];
  if (Buffer.isBuffer(v)) return [...v];
  if (Array.isArray(v)) return headerBytes(v[0]);
  return [...Buffer.from(String(v), 'utf8')];
}

export function toMskRecord(topic: string, partition: number, m: Pick<KafkaMessage, 'key' | 'value' | 'offset' | 'timestamp' | 'headers'>, logAppendTime = false): MskRecord {
  const headers: Array<Record<string, number[]>> = [];
  for (const [name, v] of Object.entries(m.headers ?? {})) {
    if (Array.isArray(v)) for (const x of v) headers.push({ [name]: headerBytes(x) });
    else headers.push({ [name]: headerBytes(v) });
  }
  const rec: MskRecord = {
    topic,
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    timestampType: logAppendTime ? 'LOG_APPEND_TIME' : 'CREATE_TIME',
    value: m.value ? m.value.toString('base64') : '',
    headers,
  };
  if (m.key) rec.key = m.key.toString('base64');
  return rec;
}

export function buildMskEvent(
  batches: ReadonlyArray<{ topic: string; partition: number; messages: ReadonlyArray<Pick<KafkaMessage, 'key' | 'value' | 'offset' | 'timestamp' | 'headers'>> }>,
  bootstrapServers: readonly string[],
): MskEvent {
  const records: Record<string, MskRecord[]> = {};
  for (const b of batches) {
    if (b.messages.length === 0) continue;
    (records[`${b.topic}-${b.partition}`] ??= []).push(...b.messages.map((m) => toMskRecord(b.topic, b.partition, m)));
  }
  return { eventSource: 'aws:kafka', eventSourceArn: kafkaClusterArn(), bootstrapServers: bootstrapServers.join(','), records };
}

import { scanKeys, type RedisClient as Redis } from '../redis.ts';
import { keysFor } from '../keys.ts';
import type { PseudonymVault } from '../privacy/vault.ts';
import { QUEUE_NAMES, type StageQueues } from './queues.ts';

export interface PurgeDeps {
  redis: Redis;
  queues: StageQueues;
  prefix: string;
  vault: Pick<PseudonymVault, 'erase'>;
}

/**
 * Removes everything the service holds about some requests, in every store under the prefix: the
 * vault entry, the request record, the BullMQ jobs of every stage (their data and logs, which is also
 * the webhook dedupe entry), the queues' event-stream entries naming them, and the Outlook
 * message/conversation links. The audit trail keeps its events (ids and keyed references only).
 */
export async function purgeRequests(deps: PurgeDeps, requestIds: readonly string[]): Promise<{ keys: number; jobs: number; streamEntries: number }> {
  const { redis, queues, prefix, vault } = deps;
  if (requestIds.length === 0) return { keys: 0, jobs: 0, streamEntries: 0 };
  const ids = new Set(requestIds);
  let keys = 0;
  let jobs = 0;
  for (const id of requestIds) {
    keys += await vault.erase(id);
    keys += await redis.del(keysFor(prefix).request(id));
  }
  for (const name of QUEUE_NAMES) {
    const queue = queues[name];
    for (const id of requestIds) {
      // Stage jobs are named after the request (`<id>`, `<id>.sent`, `<id>.reply.<msg>`).
      for (const key of await scanKeys(redis, `${prefix}:${name}:${escapeGlob(id)}*`)) {
        const jobId = key.slice(`${prefix}:${name}:`.length).replace(/:(logs|lock)$/, '');
        if (!(jobId === id || jobId.startsWith(`${id}.`))) continue;
        // remove() refuses a job a worker holds; then the job is left to finish and expire by its retention.
        const removed = await queue.remove(jobId).catch(() => 0);
        if (removed === 1) jobs++;
        keys += await redis.del(`${prefix}:${name}:${jobId}:logs`);
      }
    }
  }
  // BullMQ's event streams name job ids; drop the entries about these requests.
  let streamEntries = 0;
  for (const name of QUEUE_NAMES) {
    const stream = `${prefix}:${name}:events`;
    let cursor = '-';
    for (;;) {
      const entries = (await redis.xrange(stream, cursor, '+', 'COUNT', 1000)) as [string, string[]][];
      const fresh = cursor === '-' ? entries : entries.slice(1);
      if (fresh.length === 0) break;
      const doomed = fresh.filter(([, fields]) => fields.some((f) => [...ids].some((id) => f.includes(id)))).map(([entryId]) => entryId);
      if (doomed.length > 0) streamEntries += await redis.xdel(stream, ...doomed);
      cursor = fresh[fresh.length - 1]![0];
    }
  }
  // Outlook links: message id / conversation id → request id.
  for (const key of await scanKeys(redis, `${prefix}:mailwatch:*`)) {
    if (!/:mailwatch:(message|conversation):/.test(key)) continue;
    const value = await redis.get(key);
    if (value && ids.has(value)) keys += await redis.del(key);
  }
  return { keys, jobs, streamEntries };
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

import type { AppContext } from '../app.ts';
import { QUEUE_NAMES } from '../pipeline/queues.ts';
import type { PseudonymVault } from './vault.ts';

/**
 * Removes everything the service holds about some requests, in every store under the prefix: the
 * vault entry, the request record, the BullMQ jobs of every stage (their data and logs, which is also
 * the webhook dedupe entry), the queues' event-stream entries naming them, and the Outlook
 * message/conversation links. The audit trail keeps its events (ids and keyed references only).
 */
export async function purgeRequests(ctx: AppContext, vault: PseudonymVault, requestIds: readonly string[]): Promise<{ keys: number; jobs: number; streamEntries: number }> {
  if (requestIds.length === 0) return { keys: 0, jobs: 0, streamEntries: 0 };
  const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
  const ids = new Set(requestIds);
  let keys = 0;
  let jobs = 0;
  for (const id of requestIds) {
    keys += await vault.erase(id);
    keys += await ctx.redis.del(`${prefix}:request:${id}`);
  }
  for (const name of QUEUE_NAMES) {
    const queue = ctx.queues[name];
    for (const id of requestIds) {
      // Stage jobs are named after the request (`<id>`, `<id>.sent`, `<id>.reply.<msg>`).
      for (const key of await scanKeys(ctx, `${prefix}:${name}:${escapeGlob(id)}*`)) {
        const jobId = key.slice(`${prefix}:${name}:`.length).replace(/:(logs|lock)$/, '');
        if (!(jobId === id || jobId.startsWith(`${id}.`))) continue;
        // remove() refuses a job a worker holds; then the job is left to finish and expire by its retention.
        const removed = await queue.remove(jobId).catch(() => 0);
        if (removed === 1) jobs++;
        keys += await ctx.redis.del(`${prefix}:${name}:${jobId}:logs`);
      }
    }
  }
  // BullMQ's event streams name job ids; drop the entries about these requests.
  let streamEntries = 0;
  for (const name of QUEUE_NAMES) {
    const stream = `${prefix}:${name}:events`;
    let cursor = '-';
    for (;;) {
      const entries = (await ctx.redis.xrange(stream, cursor, '+', 'COUNT', 1000)) as [string, string[]][];
      const fresh = cursor === '-' ? entries : entries.slice(1);
      if (fresh.length === 0) break;
      const doomed = fresh.filter(([, fields]) => fields.some((f) => [...ids].some((id) => f.includes(id)))).map(([entryId]) => entryId);
      if (doomed.length > 0) streamEntries += await ctx.redis.xdel(stream, ...doomed);
      cursor = fresh[fresh.length - 1]![0];
    }
  }
  // Outlook links: message id / conversation id → request id.
  for (const key of await scanKeys(ctx, `${prefix}:mailwatch:*`)) {
    if (!/:mailwatch:(message|conversation):/.test(key)) continue;
    const value = await ctx.redis.get(key);
    if (value && ids.has(value)) keys += await ctx.redis.del(key);
  }
  return { keys, jobs, streamEntries };
}

async function scanKeys(ctx: AppContext, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await ctx.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  return found;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

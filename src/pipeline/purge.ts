import { RedisScript, type RedisClient as Redis } from '../redis.ts';
import { keysFor } from '../keys.ts';
import type { PseudonymVault } from '../privacy/vault.ts';
import { QUEUE_NAMES, type StageQueues } from './queues.ts';

export interface PurgeDeps {
  redis: Redis;
  queues: StageQueues;
  prefix: string;
  vault: Pick<PseudonymVault, 'erase'>;
}

/** The job ids a request's stages use besides its own id (crm-sync per state; replies get `.reply.<msg>`). */
const STATE_JOB_SUFFIXES = ['.sent', '.rejected', '.booked'];

// Drops the entries of a queue's event stream (KEYS[1]) that name one of the requests (ARGV), on the
// server: BullMQ caps the stream (10,000 entries by default), so this costs the same at any history.
const STREAM_PURGE_SCRIPT = new RedisScript(`
local removed = 0
local cursor = '-'
while true do
  local batch = redis.call('XRANGE', KEYS[1], cursor, '+', 'COUNT', 1000)
  if #batch == 0 then break end
  for _, e in ipairs(batch) do
    local f = e[2]
    local hit = false
    for i = 2, #f, 2 do
      for k = 1, #ARGV do
        if string.find(f[i], ARGV[k], 1, true) then hit = true break end
      end
      if hit then break end
    end
    if hit then removed = removed + redis.call('XDEL', KEYS[1], e[1]) end
  end
  cursor = '(' .. batch[#batch][1]
end
return removed
`);

/**
 * Removes everything the service holds about some requests, in every store under the prefix: the
 * vault entry, the request record, the BullMQ jobs of every stage (their data and logs, which is also
 * the webhook dedupe entry), the queues' event-stream entries naming them, the mailbox
 * message/conversation links and the review page's lists. The audit trail keeps its events (ids and
 * keyed references only). Every key is found from the request id (job ids, the request's link set),
 * never by scanning the keyspace, so an erasure costs the same however much else is stored.
 */
export async function purgeRequests(
  deps: PurgeDeps,
  requestIds: readonly string[],
): Promise<{ keys: number; jobs: number; streamEntries: number }> {
  const { redis, queues, prefix, vault } = deps;
  if (requestIds.length === 0) return { keys: 0, jobs: 0, streamEntries: 0 };
  const keys = keysFor(prefix);
  let deleted = 0;
  let jobs = 0;
  for (const id of requestIds) {
    deleted += await vault.erase(id);
    deleted += await redis.del(keys.request(id));
  }
  for (const name of QUEUE_NAMES) {
    for (const id of requestIds) {
      const jobIds = [
        id,
        ...(name === 'crm-sync'
          ? [...STATE_JOB_SUFFIXES.map((s) => id + s), ...(await replyJobs(redis, `${prefix}:${name}`, id))]
          : []),
      ];
      for (const jobId of jobIds) {
        // remove() refuses a job a worker holds; then the job is left to finish and expire by its retention.
        const removed = await queues[name].remove(jobId).catch(() => 0);
        if (removed === 1) jobs++;
        deleted += await redis.del(`${prefix}:${name}:${jobId}:logs`);
      }
    }
  }
  // BullMQ's event streams name job ids; drop the entries about these requests.
  let streamEntries = 0;
  for (const name of QUEUE_NAMES)
    streamEntries += (await STREAM_PURGE_SCRIPT.run(
      redis,
      [`${prefix}:${name}:events`],
      [...requestIds],
    )) as number;
  // Mailbox links (message id / conversation id → request id), from each request's own link set.
  for (const id of requestIds) {
    const links = await redis.smembers(keys.mailWatch.links(id));
    for (const key of links) if ((await redis.get(key)) === id) deleted += await redis.del(key);
    deleted += await redis.del(keys.mailWatch.links(id));
  }
  // The review page's lists name request ids.
  await redis
    .multi()
    .zrem(keys.ops.awaiting, ...requestIds)
    .zrem(keys.ops.deadLetters, ...requestIds)
    .hdel(keys.ops.deadLetterInfo, ...requestIds)
    .exec();
  return { keys: deleted, jobs, streamEntries };
}

/** Reply jobs (`<id>.reply.<msg>`) in the queue's finished and delayed sets: bounded by the jobs' retention. */
async function replyJobs(redis: Redis, queueKey: string, requestId: string): Promise<string[]> {
  const found = new Set<string>();
  const pattern = `${requestId.replace(/[*?[\]\\]/g, '\\$&')}.reply.*`;
  for (const set of ['completed', 'failed', 'delayed', 'prioritized']) {
    let cursor = '0';
    do {
      const [next, flat] = await redis.zscan(`${queueKey}:${set}`, cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) found.add(flat[i]!);
    } while (cursor !== '0');
  }
  return [...found];
}

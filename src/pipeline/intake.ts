import type { RedisClient } from '../redis.ts';
import type { Queue } from 'bullmq';
import { traceCarrier } from '../telemetry.ts';
import type { CallbackRequest } from './jobs.ts';

/**
 * Puts requests into the intake queue. Job id = request id, so a redelivered event is a no-op in
 * BullMQ; we look first only to report duplicates honestly. Throws when Redis cannot take the jobs
 * (the route answers 503 and the sender retries).
 */
export async function enqueueCallbackRequests(
  redis: RedisClient,
  queue: Queue<CallbackRequest>,
  requests: CallbackRequest[],
): Promise<{ enqueued: CallbackRequest[]; duplicates: CallbackRequest[] }> {
  if (requests.length === 0) return { enqueued: [], duplicates: [] };
  const pipeline = redis.pipeline();
  for (const r of requests) pipeline.exists(queue.toKey(r.requestId));
  const results = (await pipeline.exec()) ?? [];
  const enqueued: CallbackRequest[] = [];
  const duplicates: CallbackRequest[] = [];
  const seen = new Set<string>();
  requests.forEach((r, i) => {
    const [err, exists] = results[i] ?? [new Error('no reply'), 0];
    if (err) throw err;
    if (exists === 1 || seen.has(r.requestId)) duplicates.push(r);
    else enqueued.push(r);
    seen.add(r.requestId);
  });
  if (enqueued.length > 0) {
    // The webhook's trace goes with each job (nothing is added when tracing is off).
    const trace = traceCarrier();
    await queue.addBulk(
      enqueued.map((r) => ({ name: r.flow, data: { ...r, ...trace }, opts: { jobId: r.requestId } })),
    );
  }
  return { enqueued, duplicates };
}

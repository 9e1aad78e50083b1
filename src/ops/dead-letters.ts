import { Job, type Queue } from 'bullmq';
import type { AppContext } from '../app.ts';
import type { CallbackRequest } from '../pipeline/jobs.ts';
import { QUEUE_NAMES } from '../pipeline/queues.ts';
import { RedisScript } from '../redis.ts';

/**
 * An operator retries a dead-lettered request. The request went to `failed` and its vault entry
 * was erased, so the later stages cannot simply run again: the request goes back to `received`,
 * its later stage jobs are removed (their job ids are the request id, so they would block the
 * chain) and the intake job runs again, fetching the contact afresh. A request that was already
 * finished when its CRM note failed only gets its crm-sync job retried.
 */

export type RetryOutcome =
  | { ok: true; restarted: 'intake' | 'crm-sync' }
  | { ok: false; code: 'request_gone' | 'not_dead_lettered' | 'busy' };

const REOPEN_SCRIPT = RedisScript.fromFile(new URL('./lua/reopen.lua', import.meta.url));

// A retried job gets all its attempts again (else its first failure would dead-letter it at once).
const FRESH_ATTEMPTS = { resetAttemptsMade: true, resetAttemptsStarted: true };

export async function retryDeadLetter(
  ctx: AppContext,
  requestId: string,
  actor: string,
): Promise<RetryOutcome> {
  const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
  const recordKey = `${prefix}:request:${requestId}`;
  const record = await ctx.redis.hgetall(recordKey);
  if (!record.state) return { ok: false, code: 'request_gone' };

  const jobs = await Promise.all(
    QUEUE_NAMES.filter((q) => q !== 'mail-events').map(async (name) => ({
      name,
      job: await Job.fromId(ctx.queues[name] as Queue, requestId),
    })),
  );
  const states = await Promise.all(
    jobs.map(async ({ name, job }) => ({ name, job, state: job ? await job.getState() : 'missing' })),
  );
  if (states.some((s) => s.state === 'active')) return { ok: false, code: 'busy' };

  if (record.state !== 'failed' || record.reason !== 'dead_letter') {
    // Finished request whose CRM note failed: only the note is missing.
    const crmSync = states.find((s) => s.name === 'crm-sync');
    if (crmSync?.job && crmSync.state === 'failed') {
      await crmSync.job.retry('failed', FRESH_ATTEMPTS);
      await audit(ctx, requestId, record.subject, actor, 'crm-sync');
      return { ok: true, restarted: 'crm-sync' };
    }
    return { ok: false, code: 'not_dead_lettered' };
  }

  if ((await REOPEN_SCRIPT.run(ctx.redis, [recordKey], [String(Date.now())])) !== 1)
    return { ok: false, code: 'not_dead_lettered' };
  for (const s of states) if (s.name !== 'intake' && s.job) await s.job.remove();
  const intake = states.find((s) => s.name === 'intake')!;
  if (intake.job && (intake.state === 'failed' || intake.state === 'completed')) {
    await intake.job.retry(intake.state, FRESH_ATTEMPTS);
  } else {
    // The intake job outlived its retention: rebuild it from the request record (ids only).
    if (intake.job) await intake.job.remove();
    const data: CallbackRequest = {
      requestId,
      flow: record.flow!,
      source: record.source as CallbackRequest['source'],
      account: record.account!,
      objectType: record.objectType === 'lead' ? 'lead' : 'contact',
      contactId: record.contactId!,
      eventId: `retry.${Date.now()}`,
      occurredAt: Number(record.createdAt),
      receivedAt: Date.now(),
    };
    await ctx.queues.intake.add(data.flow, data, { jobId: requestId });
  }
  await audit(ctx, requestId, record.subject, actor, 'intake');
  return { ok: true, restarted: 'intake' };
}

async function audit(
  ctx: AppContext,
  requestId: string,
  subject: string | undefined,
  actor: string,
  restarted: string,
): Promise<void> {
  await ctx.audit.append({
    type: 'request.retried',
    requestId,
    subject: subject ?? null,
    actor,
    outcome: 'retried',
    details: { restarted },
  });
}

import { Queue, type ConnectionOptions, type DefaultJobOptions } from 'bullmq';
import type { Policy } from '../policy.ts';
import type { CallbackRequest, GmailPush, MailEvent, RemovalCheck, StageJob } from './jobs.ts';

/** Every queue, named in one place. One BullMQ queue per pipeline stage. */
export const QUEUE_NAMES = ['intake', 'draft', 'deliver', 'crm-sync', 'mail-events'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobPayloads {
  intake: CallbackRequest;
  draft: StageJob;
  deliver: StageJob;
  'crm-sync': StageJob;
  /**
   * The mailbox told us something: a draft was sent (approved) or deleted (rejected), or the lead
   * replied. Graph notifications (MailEvent) or Gmail pushes (GmailPush, job name `gmail-push`).
   */
  'mail-events': MailEvent | GmailPush | RemovalCheck;
}

export type StageQueues = { [K in QueueName]: Queue<JobPayloads[K]> };

/**
 * Attempts, exponential backoff with jitter, and removal of finished jobs by retention class.
 * Intake jobs are kept at least as long as the webhook dedupe window: their job id is what makes a
 * redelivered event a no-op, so it must outlive HubSpot's retry schedule.
 */
export function defaultJobOptions(policy: Policy, queue: QueueName): DefaultJobOptions {
  const seconds = (ms: number | undefined, fallback: number) => Math.ceil((ms ?? fallback) / 1000);
  const completedMs = policy.retention.jobsCompleted ?? 86_400_000;
  const keepCompleted =
    queue === 'intake'
      ? Math.max(completedMs, policy.retention.webhookDedupe ?? 3 * 86_400_000)
      : completedMs;
  return {
    attempts: policy.defaults.jobs.attempts,
    backoff: { type: 'exponential', delay: policy.defaults.jobs.backoffMs, jitter: 0.5 },
    removeOnComplete: { age: seconds(keepCompleted, 86_400_000) },
    removeOnFail: { age: seconds(policy.retention.jobsFailed, 14 * 86_400_000) },
  };
}

/**
 * BullMQ's per-queue event stream keeps this many entries (its default is 10,000). Nothing of
 * draftbridge reads it; its entries name job ids (request ids), so an erasure scans it: a shorter
 * stream keeps less and makes that scan ten times cheaper.
 */
export const QUEUE_EVENTS_MAX_LEN = 1_000;

export function createQueues(connection: ConnectionOptions, prefix: string, policy: Policy): StageQueues {
  const make = <K extends QueueName>(name: K) =>
    new Queue<JobPayloads[K]>(name, {
      connection,
      prefix,
      defaultJobOptions: defaultJobOptions(policy, name),
      streams: { events: { maxLen: QUEUE_EVENTS_MAX_LEN } },
    });
  return {
    intake: make('intake'),
    draft: make('draft'),
    deliver: make('deliver'),
    'crm-sync': make('crm-sync'),
    'mail-events': make('mail-events'),
  };
}

export async function closeQueues(queues: StageQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}

import { StageJob } from '../src/pipeline/jobs.ts';
import { isFirstAttempt, type StageDefinition } from '../src/pipeline/stage-runner.ts';
import { deliverDraft } from '../src/pipeline/stages/deliver.ts';
import type { Policy } from '../src/policy.ts';

/** deliver: the draft into the owner's Outlook (review) or sent via Graph (auto), exactly once. */
export function deliverStage(policy: Policy): StageDefinition<'deliver'> {
  return {
    queue: 'deliver',
    // Graph allows 4 concurrent requests per mailbox; the connector enforces it per mailbox.
    concurrency: policy.limits.graph.mailboxConcurrency,
    run: (deps, job) => deliverDraft(deps, StageJob.parse(job.data).requestId, { firstAttempt: isFirstAttempt(job) }),
  };
}

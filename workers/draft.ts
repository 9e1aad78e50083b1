import { StageJob } from '../src/pipeline/jobs.ts';
import type { StageDefinition } from '../src/pipeline/stage-runner.ts';
import { composeDraft } from '../src/pipeline/stages/draft.ts';
import type { Policy } from '../src/policy.ts';

/** draft: pseudonymise, classify, prompt the LLM, re-identify locally (or fall back to the template). */
export function draftStage(policy: Policy): StageDefinition<'draft'> {
  return {
    queue: 'draft',
    // Many drafts wait on the model at once; the LLM connector books each call in the shared quota.
    concurrency: policy.limits.llm.draftConcurrency,
    run: (deps, job, lastAttempt) => composeDraft(deps, StageJob.parse(job.data).requestId, lastAttempt),
  };
}

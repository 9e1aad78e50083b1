import { CallbackRequest } from '../src/pipeline/jobs.ts';
import type { StageDefinition } from '../src/pipeline/stage-runner.ts';
import { fetchContact } from '../src/pipeline/stages/intake.ts';
import type { Policy } from '../src/policy.ts';

/** intake: CRM event → request record, minimal contact fields and owner mailbox in the vault. */
export function intakeStage(policy: Policy): StageDefinition<'intake'> {
  return {
    queue: 'intake',
    concurrency: 8,
    // Two HubSpot calls per job; intake and crm-sync share the portal's budget.
    limiter: { max: Math.max(1, Math.floor(policy.limits.hubspot.requestsPer10s / 4)), duration: 10_000 },
    run: (deps, job) => fetchContact(deps, CallbackRequest.parse(job.data)),
  };
}

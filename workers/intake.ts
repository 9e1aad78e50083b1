import { CallbackRequest } from '../src/pipeline/jobs.ts';
import type { StageDefinition } from '../src/pipeline/stage-runner.ts';
import { fetchContact } from '../src/pipeline/stages/intake.ts';
import type { Policy } from '../src/policy.ts';
import type { CrmPort } from '../src/ports.ts';

/** intake: CRM event → request record, minimal contact fields and owner mailbox in the vault. */
export function intakeStage(_policy: Policy, crm: Pick<CrmPort, 'batchesCalls'>): StageDefinition<'intake'> {
  return {
    queue: 'intake',
    // Where contact reads go out as one batch call for the jobs waiting at once (HubSpot), a burst held
    // back by the portal's budget costs a call per 32 requests, not per 8. No queue limiter: every
    // HubSpot call is booked in the portal's shared budget (the connector).
    concurrency: crm.batchesCalls ? 32 : 8,
    run: (deps, job) => fetchContact(deps, CallbackRequest.parse(job.data)),
  };
}

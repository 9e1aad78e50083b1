import { StageJob } from '../src/pipeline/jobs.ts';
import type { StageDefinition } from '../src/pipeline/stage-runner.ts';
import { syncCrm } from '../src/pipeline/stages/crm-sync.ts';
import type { Policy } from '../src/policy.ts';

/** crm-sync: note on the contact and draftbridge_status, once per request. */
export function crmSyncStage(_policy: Policy): StageDefinition<'crm-sync'> {
  return {
    queue: 'crm-sync',
    concurrency: 4,
    // No queue limiter: every HubSpot call is booked in the portal's shared budget (the connector).
    run: async (deps, job) => {
      const data = StageJob.parse(job.data);
      await syncCrm(deps, data.requestId, data.event);
      return 'done';
    },
  };
}

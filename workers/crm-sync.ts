import { StageJob } from '../src/pipeline/jobs.ts';
import type { StageDefinition } from '../src/pipeline/stage-runner.ts';
import { syncCrm } from '../src/pipeline/stages/crm-sync.ts';
import type { Policy } from '../src/policy.ts';

/** crm-sync: note on the contact and draftbridge_status, once per request. */
export function crmSyncStage(_policy: Policy): StageDefinition<'crm-sync'> {
  return {
    queue: 'crm-sync',
    // Mostly waiting on the CRM: as many jobs at once as one HubSpot batch call takes (100), so their
    // notes and status updates go out as one batch call each (the connector collects writes for a
    // moment). No queue limiter: every HubSpot call is booked in the portal's shared budget.
    concurrency: 100,
    run: async (deps, job) => {
      const data = StageJob.parse(job.data);
      await syncCrm(deps, data.requestId, data.event);
      return 'done';
    },
  };
}

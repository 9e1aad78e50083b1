import { StageJob } from '../src/pipeline/jobs.ts';
import type { StageDefinition } from '../src/pipeline/stage-runner.ts';
import { syncCrm } from '../src/pipeline/stages/crm-sync.ts';
import type { Policy } from '../src/policy.ts';

/** crm-sync: note on the contact and draftbridge_status, once per request. */
export function crmSyncStage(_policy: Policy): StageDefinition<'crm-sync'> {
  return {
    queue: 'crm-sync',
    // Mostly waiting on the CRM: more jobs at once let the HubSpot connector put their notes and
    // status updates into one batch call each (it collects writes for a moment). No queue limiter:
    // every HubSpot call is booked in the portal's shared budget (the connector).
    concurrency: 16,
    run: async (deps, job) => {
      const data = StageJob.parse(job.data);
      await syncCrm(deps, data.requestId, data.event);
      return 'done';
    },
  };
}

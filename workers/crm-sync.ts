import { StageJob } from '../src/pipeline/jobs.ts';
import type { StageDefinition } from '../src/pipeline/stage-runner.ts';
import { syncCrm } from '../src/pipeline/stages/crm-sync.ts';
import type { Policy } from '../src/policy.ts';
import type { CrmPort } from '../src/ports.ts';

/** crm-sync: note on the contact and draftbridge_status, once per request. */
export function crmSyncStage(_policy: Policy, crm: Pick<CrmPort, 'batchesCalls'>): StageDefinition<'crm-sync'> {
  return {
    queue: 'crm-sync',
    // Mostly waiting on the CRM. Where writes are batched (HubSpot), as many jobs at once as one batch
    // call takes (100), so their notes and status updates go out as one batch call each; elsewhere 16
    // jobs, one write at a time each, stay well under a per-user limit such as Dataverse's 52
    // concurrent requests.
    // No queue limiter: every HubSpot call is booked in the portal's shared budget.
    concurrency: crm.batchesCalls ? 100 : 16,
    run: async (deps, job) => {
      const data = StageJob.parse(job.data);
      await syncCrm(deps, data.requestId, data.event, data.reply);
      return 'done';
    },
  };
}

import { MailEvent } from '../src/pipeline/jobs.ts';
import type { StageDefinition } from '../src/pipeline/stage-runner.ts';
import { trackMail } from '../src/pipeline/stages/mail-events.ts';

/** mail-events: Graph notifications → approval (sent), rejection (deleted), the lead's reply; hourly renewal. */
export const RENEW_SUBSCRIPTIONS = 'renew-subscriptions';

export function mailEventsStage(): StageDefinition<'mail-events'> {
  return {
    queue: 'mail-events',
    concurrency: 4,
    run: async (deps, job) => {
      if (job.name === RENEW_SUBSCRIPTIONS) await deps.watch?.renewDue();
      else await trackMail(deps, MailEvent.parse(job.data));
      return 'done';
    },
  };
}

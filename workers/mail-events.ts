import { GmailPush, MailEvent } from '../src/pipeline/jobs.ts';
import type { StageDefinition } from '../src/pipeline/stage-runner.ts';
import { applyMailboxChange, trackMail } from '../src/pipeline/stages/mail-events.ts';

/**
 * mail-events: the mailbox's approval (sent), rejection (deleted) and the lead's reply. Graph
 * notifications go through trackMail; Gmail pushes (`gmail-push`) through the Gmail watch's
 * history reading. Renewals: Graph subscriptions hourly, Gmail watches daily.
 */
export const RENEW_SUBSCRIPTIONS = 'renew-subscriptions';
export const GMAIL_PUSH = 'gmail-push';
export const RENEW_GMAIL_WATCH = 'renew-gmail-watch';

export function mailEventsStage(): StageDefinition<'mail-events'> {
  return {
    queue: 'mail-events',
    concurrency: 4,
    run: async (deps, job) => {
      if (job.name === RENEW_SUBSCRIPTIONS) await deps.watch?.renewDue();
      else if (job.name === RENEW_GMAIL_WATCH) await deps.history?.renewAll();
      else if (job.name === GMAIL_PUSH) {
        const gmail = deps.history;
        if (!gmail) return 'done';
        const push = GmailPush.parse(job.data);
        for (const change of await gmail.changes(push.mailboxRef, push.historyId)) await applyMailboxChange(deps, change, 'gmail');
      } else await trackMail(deps, MailEvent.parse(job.data));
      return 'done';
    },
  };
}

import type { RequestRecord } from '../request-state.ts';
import type { MailApp, PipelineDeps } from '../deps.ts';
import type { Language } from '../../policy.ts';
import { renderSlot } from '../../scheduling/render.ts';
import { fill, type Wording } from '../prompts.ts';
import { StageJob } from '../jobs.ts';
import type { StageDefinition } from '../stage-runner.ts';
import type { Policy } from '../../policy.ts';
import type { CrmPort } from '../../ports.ts';

/**
 * Stage 4 (crm-sync): a note on the contact saying what happened (never the e-mail body) and
 * `draftbridge_status`. The note id is recorded so a retry does not add a second note.
 */
export type SyncCrmDeps = Pick<
  PipelineDeps,
  'policy' | 'crmFields' | 'crm' | 'requests' | 'prompts' | 'mailApp'
>;

export async function syncCrm(
  deps: SyncCrmDeps,
  requestId: string,
  event?: 'reply',
  reply?: string,
): Promise<void> {
  const { crm, requests } = deps;
  const record = await requests.get(requestId);
  if (!record) return; // expired by retention: nothing left to report
  const at = event === 'reply' ? new Date() : new Date(record.updatedAt);
  // Notes are for the sales team: in the deployment's default language, wording from config/prompts.
  const wording = deps.prompts.wording(deps.policy.defaults.language).crm_notes;
  const body =
    event === 'reply'
      ? replyNote(record, at, wording, reply)
      : noteFor(record, wording, deps.mailApp, deps.policy.defaults.language);
  // One note per state (and per reply job): a retried job finds the note id and does not add another.
  const noteKey = event === 'reply' ? undefined : (`note:${record.state}` as const);
  // A booked meeting is also a meeting engagement where the CRM has them (before the note: one each).
  if (
    record.state === 'booked' &&
    event !== 'reply' &&
    crm.createMeeting &&
    record.bookedSlot &&
    !(await requests.noteId(requestId, 'note:meeting', record))
  ) {
    const [start, end] = record.bookedSlot.split('/');
    const slotWording = deps.prompts.wording(deps.policy.defaults.language).slots;
    const meeting = await crm.createMeeting({
      record: { type: record.objectType, id: record.contactId },
      title: slotWording.event_subject,
      body: slotWording.event_body,
      start: new Date(start!),
      end: new Date(end!),
      ...(record.ownerId ? { ownerId: record.ownerId } : {}),
    });
    await requests.recordNote(requestId, 'note:meeting', meeting.id);
  }
  const existing = noteKey ? await requests.noteId(requestId, noteKey, record) : null;
  const writeNote = async () => {
    if (existing) return;
    const note = await crm.createNote({
      record: { type: record.objectType, id: record.contactId },
      body,
      ...(record.ownerId ? { ownerId: record.ownerId } : {}),
      at,
    });
    // At once, not with the audit event below: a crash from here on must leave the id for the retry.
    if (noteKey) await requests.recordNote(requestId, noteKey, note.id);
  };
  const writeStatus = async () => {
    if (event === 'reply') return;
    const fields = deps.crmFields.fields(record.objectType);
    await crm.updateContact(
      { type: record.objectType, id: record.contactId },
      fields.toCrm({ status: record.state, last_request_id: requestId }),
    );
  };
  if (crm.batchesCalls) {
    // The two writes are independent (a retry skips the recorded note and repeats only the idempotent
    // status), so where they are batched they go together: one batch round per job instead of two.
    // Both settle before the job ends, so a retry never races a note still being written.
    const [noteDone, statusDone] = await Promise.allSettled([writeNote(), writeStatus()]);
    if (noteDone.status === 'rejected') throw noteDone.reason;
    if (statusDone.status === 'rejected') throw statusDone.reason;
  } else {
    // One request each (Salesforce, Dataverse): one after the other, so a note on the record and an
    // update of the same record never contend for its lock.
    await writeNote();
    await writeStatus();
  }
  await requests.appendEvent(
    {
      type: 'crm.synced',
      requestId,
      subject: record.subject,
      actor: 'crm-sync',
      outcome: event ?? record.state,
      details: { noteCreated: !existing },
    },
    record,
  );
}

/** The rep reads this in the CRM timeline: what happened and where to look, without personal data. */
export function noteFor(
  record: RequestRecord,
  wording: Wording['crm_notes'],
  mailApp: MailApp = 'Outlook',
  language: Language = 'de',
): string {
  const slots = {
    when: utcMinute(new Date(record.updatedAt)),
    ref: fill(wording.ref, { request_id: record.requestId }),
    mail_app: mailApp,
  };
  switch (record.state) {
    case 'awaiting_review': {
      const note = fill(wording.awaiting_review, {
        ...slots,
        template_marker: draftMarker(record, wording),
        message_id: record.messageId ?? '–',
      });
      // No slot could meet the contact's wishes: the rep reads why (weekend only, after hours, …).
      const unmet = record.slotsUnmet ? wording.unmet_wishes?.[record.slotsUnmet] : undefined;
      return unmet ? `${note}<p>${unmet}</p>` : note;
    }
    case 'sent':
      return fill(wording.sent, slots);
    case 'rejected':
      return fill(wording.rejected, slots);
    case 'booked': {
      const [start, end] = (record.bookedSlot ?? '').split('/');
      const slot =
        start && end
          ? `${renderSlot({ start, end }, language, record.slotZone ?? 'UTC')} (${record.slotZone ?? 'UTC'})`
          : '–';
      return fill(wording.booked, { ...slots, slot });
    }
    case 'blocked_sensitive':
      return fill(wording.blocked_sensitive, {
        ...slots,
        categories: record.categories ?? wording.categories_unknown,
      });
    case 'failed':
      return fill(wording.failed, {
        ...slots,
        reason: wording.reasons[record.reason ?? ''] ?? record.reason ?? wording.reason_unknown,
      });
    default:
      return fill(wording.other, { ...slots, state: record.state });
  }
}

/** Which way the draft was made, when it was not the plain LLM path. */
function draftMarker(record: RequestRecord, wording: Wording['crm_notes']): string {
  if (record.draftPath === 'llm_without_note') return wording.without_note_marker;
  if (record.templateFallback === 'leak_guard') return wording.leak_guard_template_marker;
  return record.templateFallback ? wording.template_marker : '';
}

function replyNote(record: RequestRecord, at: Date, wording: Wording['crm_notes'], outcome?: string): string {
  const note = fill(wording.reply, {
    when: utcMinute(at),
    ref: fill(wording.ref, { request_id: record.requestId }),
  });
  // What is left for the rep ("reply needs a person", "reply from another address"), in the note's language.
  const todo = outcome ? wording.reply_outcomes?.[outcome] : undefined;
  return todo ? `${note}<p>${todo}</p>` : note;
}

/** `2026-03-02 09:15 UTC`: minute precision is what the rep needs. */
function utcMinute(at: Date): string {
  return `${at.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

/** crm-sync: note on the contact and draftbridge_status, once per request. */
export function crmSyncStage(
  _policy: Policy,
  crm: Pick<CrmPort, 'batchesCalls'>,
): StageDefinition<'crm-sync'> {
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

import type { RequestRecord } from '../request-state.ts';
import type { PipelineDeps } from '../deps.ts';

/**
 * Stage 4 (crm-sync): a note on the contact saying what happened (never the e-mail body) and
 * `draftbridge_status`. The note id is recorded so a retry does not add a second note.
 */
export type SyncCrmDeps = Pick<PipelineDeps, 'audit' | 'crmFields' | 'crm' | 'requests'>;

export async function syncCrm(deps: SyncCrmDeps, requestId: string, event?: 'reply'): Promise<void> {
  const { crm, requests, audit } = deps;
  const record = await requests.get(requestId);
  if (!record) return; // expired by retention: nothing left to report
  const at = event === 'reply' ? new Date() : new Date(record.updatedAt);
  const body = event === 'reply' ? replyNote(record, at) : noteFor(record);
  // One note per state (and per reply job): a retried job finds the note id and does not add another.
  const noteKey = event === 'reply' ? undefined : (`note:${record.state}` as const);
  const existing = noteKey ? await requests.noteId(requestId, noteKey) : null;
  if (!existing) {
    const note = await crm.createNote({ record: { type: record.objectType, id: record.contactId }, body, ...(record.ownerId ? { ownerId: record.ownerId } : {}), at });
    if (noteKey) await requests.recordNote(requestId, noteKey, note.id);
  }
  if (event !== 'reply') {
    const fields = deps.crmFields.fields(record.objectType);
    await crm.updateContact({ type: record.objectType, id: record.contactId }, fields.toCrm({ status: record.state, last_request_id: requestId }));
  }
  await audit.append({ type: 'crm.synced', requestId, subject: record.subject, actor: 'crm-sync', outcome: event ?? record.state, details: { noteCreated: !existing } });
}

function replyNote(record: RequestRecord, at: Date): string {
  return `<p><strong>draftbridge:</strong> Der Kontakt hat am ${at.toISOString().replace('T', ' ').slice(0, 16)} UTC auf die E-Mail geantwortet (Posteingang des Kontaktinhabers). Anfrage ${record.requestId}.</p>`;
}

const REASONS: Record<string, string> = {
  contact_without_email: 'der Kontakt hat keine E-Mail-Adresse',
  no_owner_mailbox: 'dem Kontakt ist kein Kontaktinhaber mit Postfach zugeordnet',
  leak_guard: 'die Schutzprüfung hat die Anfrage an das Sprachmodell gestoppt',
  vault_expired: 'die Anfrage ist abgelaufen',
  dead_letter: 'die Verarbeitung ist nach mehreren Versuchen gescheitert',
};

/** The rep reads this in the CRM timeline: what happened and where to look, without personal data. */
export function noteFor(record: RequestRecord): string {
  const when = new Date(record.updatedAt).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const ref = `Anfrage ${record.requestId}`;
  switch (record.state) {
    case 'awaiting_review':
      return `<p><strong>draftbridge:</strong> Ein E-Mail-Entwurf${record.templateFallback ? ' (Vorlage, ohne KI)' : ''} liegt seit ${when} im Outlook-Ordner „Entwürfe“ des Kontaktinhabers zur Prüfung. Senden = freigeben, löschen = verwerfen. ${ref}, Nachricht ${record.messageId ?? '–'}.</p>`;
    case 'sent':
      return `<p><strong>draftbridge:</strong> Die E-Mail wurde am ${when} versendet (in Outlook freigegeben, oder automatisch, wo die Richtlinie es erlaubt). ${ref}.</p>`;
    case 'rejected':
      return `<p><strong>draftbridge:</strong> Der Entwurf wurde am ${when} in Outlook verworfen (gelöscht); es wurde keine E-Mail gesendet. ${ref}.</p>`;
    case 'blocked_sensitive':
      return `<p><strong>draftbridge:</strong> Kein Entwurf erstellt (${when}): die Notizen enthalten besondere Kategorien personenbezogener Daten (${record.categories ?? 'Art. 9 DSGVO'}). Bitte den Kontakt persönlich bearbeiten. ${ref}.</p>`;
    case 'failed':
      return `<p><strong>draftbridge:</strong> Es kam kein Entwurf (${when}): ${REASONS[record.reason ?? ''] ?? record.reason ?? 'unbekannter Fehler'}. Bitte manuell nachfassen. ${ref}.</p>`;
    default:
      return `<p><strong>draftbridge:</strong> Status ${record.state} (${when}). ${ref}.</p>`;
  }
}

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PromptLibrary } from '../../../src/pipeline/prompts.ts';
import type { RequestRecord } from '../../../src/pipeline/request-state.ts';
import { noteFor } from '../../../src/pipeline/stages/crm-sync.ts';

const prompts = new PromptLibrary(fileURLToPath(new URL('../../../config/prompts', import.meta.url)));
const base: RequestRecord = {
  requestId: 'hs-1-2-1001',
  state: 'awaiting_review',
  flow: 'callback',
  source: 'hubspot.app',
  account: '1',
  objectType: 'contact',
  contactId: '1001',
  subject: 'a'.repeat(32),
  createdAt: 0,
  updatedAt: Date.UTC(2026, 2, 2, 9, 15),
};

describe('CRM notes (wording from config/prompts/_shared.yaml)', () => {
  const de = prompts.wording('de').crm_notes;
  it('says where the draft is, without personal data', () => {
    expect(noteFor({ ...base, templateFallback: 'llm_unavailable', messageId: 'AAMk1' }, de)).toBe(
      '<p><strong>draftbridge:</strong> Ein E-Mail-Entwurf (Vorlage, ohne KI) liegt seit 2026-03-02 09:15 UTC im Outlook-Ordner „Entwürfe“ des Kontaktinhabers zur Prüfung. Senden = freigeben, löschen = verwerfen. Anfrage hs-1-2-1001, Nachricht AAMk1.</p>',
    );
  });
  it('names the reason of a failure, or the code when it has no text', () => {
    expect(noteFor({ ...base, state: 'failed', reason: 'no_owner_mailbox' }, de)).toBe(
      '<p><strong>draftbridge:</strong> Es kam kein Entwurf (2026-03-02 09:15 UTC): dem Kontakt ist kein Kontaktinhaber mit Postfach zugeordnet. Bitte manuell nachfassen. Anfrage hs-1-2-1001.</p>',
    );
    expect(noteFor({ ...base, state: 'failed', reason: 'contact_not_found' }, de)).toContain(
      ': contact_not_found.',
    );
  });
  it('has the same notes in English', () => {
    const en = prompts.wording('en').crm_notes;
    expect(noteFor({ ...base, state: 'blocked_sensitive', categories: 'religion' }, en)).toBe(
      '<p><strong>draftbridge:</strong> No draft made (2026-03-02 09:15 UTC): the notes contain special categories of personal data (religion). Please handle the contact personally. Request hs-1-2-1001.</p>',
    );
  });
});

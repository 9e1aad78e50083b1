import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/metrics.ts';
import { fold } from '../../src/privacy/text.ts';
import { leakedValues, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** Invented people; the contact and the third parties in her note come from several origins. */
const THIRD_PARTIES = [
  'Wróblewski',
  'Nguyễn',
  'Hằng',
  'Siobhán',
  "O'Driscoll",
  'Oleksandr',
  'Shevchenko',
  'Gülşen',
  'Karagöz',
  'Konstantinos',
  'Papadopoulou',
];

describe('third parties named in a callback note never reach the LLM', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  });
  afterAll(() => h.close());

  const llmBodies = () => h.sandbox.llm.requests.map((r) => JSON.stringify(r.body));
  const noteFor = (contactId: string) =>
    h.sandbox.hubspot.notes.filter((n) => n.associations[0]!.to.id === contactId).at(-1)!.properties
      .hs_note_body!;

  it('drafts for review with none of their names, in any spelling, in any LLM request', async () => {
    h.sandbox.hubspot.seedContact({
      id: '1201',
      properties: {
        firstname: 'Bożena',
        lastname: 'Wiśniewska',
        email: 'bozena.wisniewska@example.com',
        salutation: 'Frau',
        hs_language: 'de',
        company: 'Beispiel Facility GmbH',
        hubspot_owner_id: '9001',
        callback_requested: 'true',
        callback_notes:
          'Rückruf wegen Wartungsvertrag. Hat mit dem Hausmeister, Herrn Wróblewski, gesprochen; laut ihrer Kollegin Nguyễn Thị Hằng ist das Budget frei. ' +
          "Vertretung im Urlaub: Siobhán O'Driscoll. Unterschreiben wird der Geschäftsführer Oleksandr Shevchenko, Technik klärt Gülşen Karagöz mit Konstantinos Papadopoulou. " +
          'Frau Wisniewska bittet um Angebot bis 02.06.2026.',
      },
    });
    const before = h.sandbox.llm.requests.length;
    const { requestId } = await h.deliverWebhook('1201');
    const record = await h.waitForState(requestId, ['awaiting_review', 'failed', 'blocked_sensitive']);
    expect(record.state).toBe('awaiting_review');
    expect(record.draftPath).toBe('llm');
    const bodies = llmBodies().slice(before);
    expect(bodies.length).toBeGreaterThan(0);
    const folded = bodies.map((b) => fold(b));
    expect(leakedValues(bodies, [...THIRD_PARTIES, 'Bożena', 'Wiśniewska', 'Wisniewska'])).toEqual([]);
    expect(leakedValues(folded, THIRD_PARTIES.map(fold))).toEqual([]);
    // The business date stays a date for the model.
    expect(bodies.join('\n')).toContain('02.06.2026');
    const [draft] = h.draftsFor(requestId);
    expect(draft!.body.startsWith('Sehr geehrte Frau Wiśniewska,')).toBe(true);
  });

  it('drafts without the note when the leak guard refuses it, and says so in the CRM', async () => {
    // "lisann" in lower case slips past the pseudonymiser's capitalised-name pass; the leak guard
    // (which folds case) refuses the request, and the draft is made from the structured fields.
    h.sandbox.hubspot.seedContact({
      id: '1202',
      properties: {
        firstname: 'Rojda',
        lastname: 'Beispielkundin',
        email: 'rojda.beispielkundin@example.com',
        salutation: 'Frau',
        hs_language: 'de',
        hubspot_owner_id: '9001',
        callback_requested: 'true',
        callback_notes: 'Workshop mit Lisann und Stella geplant; lisann schickt die Agenda.',
      },
    });
    const before = h.sandbox.llm.requests.length;
    const { requestId } = await h.deliverWebhook('1202');
    const record = await h.waitForState(requestId, ['awaiting_review', 'failed']);
    expect(record.state).toBe('awaiting_review');
    expect(record.draftPath).toBe('llm_without_note');
    expect(leakedValues(llmBodies().slice(before), ['Lisann', 'Stella', 'Rojda', 'Beispielkundin'])).toEqual(
      [],
    );
    await h.waitForCrmNote(requestId);
    expect(noteFor('1202')).toContain('ohne die Freitext-Notiz');
    expect(await registry.getSingleMetricAsString('draftbridge_draft_paths_total')).toMatch(
      /path="llm_without_note"} [1-9]/,
    );
  });
});

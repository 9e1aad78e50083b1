import { describe, expect, it } from 'vitest';
import { LeakBlocked, UpstreamUnavailable } from '../../src/errors.ts';
import { draftWithLeakFallback } from '../../src/pipeline/stages/leak-fallback.ts';
import { noteFor as noteWith } from '../../src/pipeline/stages/crm-sync.ts';
import { PromptLibrary } from '../../src/pipeline/prompts.ts';

const wording = new PromptLibrary(new URL('../../config/prompts', import.meta.url).pathname).wording(
  'de',
).crm_notes;
const noteFor = (record: RequestRecord) => noteWith(record, wording);
import type { RequestRecord } from '../../src/pipeline/request-state.ts';

const refuse = () => Promise.reject(new LeakBlocked(['PERSON']));

describe('leak-guard fallback', () => {
  it('uses the note when the guard lets it through', async () => {
    expect(
      await draftWithLeakFallback(
        () => Promise.resolve('with note'),
        () => Promise.resolve('without'),
      ),
    ).toEqual({ path: 'llm', value: 'with note' });
  });

  it('retries once without the note when the guard refuses it', async () => {
    expect(await draftWithLeakFallback(refuse, () => Promise.resolve('without'))).toEqual({
      path: 'llm_without_note',
      value: 'without',
    });
  });

  it('falls back to the template when the structured fields are refused too, or there is no note to leave out', async () => {
    expect(await draftWithLeakFallback(refuse, () => Promise.reject(new LeakBlocked(['EMAIL'])))).toEqual({
      path: 'template',
      findings: ['EMAIL'],
    });
    expect(await draftWithLeakFallback(refuse, undefined)).toEqual({
      path: 'template',
      findings: ['PERSON'],
    });
  });

  it('lets other errors through (the worker retries them)', async () => {
    await expect(
      draftWithLeakFallback(() => Promise.reject(new UpstreamUnavailable('llm', 'down')), undefined),
    ).rejects.toBeInstanceOf(UpstreamUnavailable);
    await expect(
      draftWithLeakFallback(refuse, () => Promise.reject(new UpstreamUnavailable('llm', 'down'))),
    ).rejects.toBeInstanceOf(UpstreamUnavailable);
  });

  it('tells the rep in the CRM note which path was taken', () => {
    const base = {
      requestId: 'r1',
      state: 'awaiting_review',
      flow: 'callback',
      source: 'hubspot.app',
      account: '1',
      objectType: 'contact',
      contactId: '1',
      subject: 's',
      createdAt: 0,
      updatedAt: 0,
    } as RequestRecord;
    expect(noteFor({ ...base, draftPath: 'llm_without_note' })).toContain('ohne die Freitext-Notiz');
    expect(noteFor({ ...base, draftPath: 'template', templateFallback: 'leak_guard' })).toContain(
      'Vorlage, ohne KI: die Schutzprüfung',
    );
    expect(noteFor({ ...base, draftPath: 'llm' })).not.toContain('Vorlage');
  });
});

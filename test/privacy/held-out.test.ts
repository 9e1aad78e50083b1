import { describe, expect, it } from 'vitest';
import { buildHeldOut } from './held-out/corpus.ts';
import { ORIGINS } from './held-out/names.ts';

describe('held-out privacy set', () => {
  const notes = buildHeldOut();

  it('is reproducible, large, bilingual, multi-origin and uses only invented domains', () => {
    expect(buildHeldOut()).toEqual(notes);
    expect(notes.length).toBeGreaterThanOrEqual(300);
    expect(new Set(notes.map((n) => n.lang))).toEqual(new Set(['de', 'en']));
    expect(new Set(notes.map((n) => n.id)).size).toBe(notes.length);
    expect(ORIGINS.length).toBeGreaterThanOrEqual(13);
    expect(notes.filter((n) => n.clean).length).toBeGreaterThanOrEqual(60);
    for (const m of notes.flatMap((n) => n.text.match(/@[\w.-]+\w/g) ?? []))
      expect(m).toMatch(/@(?:[\w-]+\.)*(?:example\.(?:com|org)|[\w-]+\.test)$/);
    // Every labelled value is really in its note (labels and texts cannot drift apart).
    for (const n of notes)
      for (const e of n.entities) expect(n.text.normalize('NFC'), n.id).toContain(e.value.normalize('NFC'));
  });
});

describe('held-out privacy targets', () => {
  it('are met (leaks, names, special categories, clean notes; timing is the eval script’s job)', async () => {
    const { evaluate, missedHeldOutTargets } = await import('../../tools/eval/privacy-score.ts');
    expect(missedHeldOutTargets(evaluate(buildHeldOut()), { timing: false })).toEqual([]);
  });
});

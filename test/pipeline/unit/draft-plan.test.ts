import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planDraft, type DraftPlanInput } from '../../../src/pipeline/draft-plan.ts';
import { PromptLibrary } from '../../../src/pipeline/prompts.ts';
import { defaultPolicy } from '../../support/env.ts';
import { leakedValues } from '../../support/leaks.ts';

const prompts = new PromptLibrary(fileURLToPath(new URL('../../../config/prompts', import.meta.url)));
const policy = defaultPolicy();
const owner = { id: '9001', email: 'max.vertrieb@example.com', firstName: 'Max', lastName: 'Vertrieb' };
const contact = (extra: Record<string, string | null> = {}) => ({
  properties: {
    firstname: 'Erika',
    lastname: 'Musterfrau',
    email: 'erika.musterfrau@example.com',
    salutation: 'Frau',
    language: 'de',
    company: 'Beispiel GmbH',
    callback_note: 'Bitte vormittags anrufen.',
    ...extra,
  },
});
const input = (c = contact()): DraftPlanInput => ({
  contact: c,
  owner,
  flow: policy.flows.callback!,
  policy,
  template: prompts.get('callback'),
  wording: (l) => prompts.wording(l),
});

describe('draft plan (pure: DLP decision, route, salutation, prompt)', () => {
  it('pseudonymises everything bound for the LLM and keeps the real letter for the template', () => {
    const plan = planDraft(input());
    expect(plan.kind).toBe('compose');
    if (plan.kind !== 'compose') return;
    expect(plan).toMatchObject({
      language: 'de',
      route: 'eu',
      sensitive: 'none',
      to: [{ address: 'erika.musterfrau@example.com', name: 'Erika Musterfrau' }],
    });
    const outbound = `${plan.prompt.system}\n${plan.prompt.user}\n${plan.prompt.strictInstruction}`;
    expect(
      leakedValues(
        [outbound],
        ['Erika', 'Musterfrau', 'erika.musterfrau@example.com', 'Max', 'Vertrieb', 'Beispiel GmbH'],
      ),
    ).toEqual([]);
    expect(plan.prompt.guard(outbound)).toEqual([]);
    expect(plan.prompt.guard('Bitte an erika.musterfrau@example.com')).not.toEqual([]);
    expect(plan.prompt.required.length).toBeGreaterThan(0);
    for (const placeholder of plan.prompt.required) expect(plan.prompt.user).toContain(placeholder);
    expect(plan.fallback.body).toContain('Sehr geehrte Frau Musterfrau');
    expect(plan.fallback.body).toContain('Mit freundlichen Grüßen\nMax Vertrieb');
    expect(plan.prompt.strictInstruction).toMatch(/^WICHTIG: Verwende ausschließlich diese Platzhalter/);
  });

  it('is deterministic: the same inputs give the same prompt', () => {
    const a = planDraft(input());
    const b = planDraft(input());
    expect(
      a.kind === 'compose' && b.kind === 'compose' && [a.prompt.system, a.prompt.user, a.prompt.mapping],
    ).toEqual(
      a.kind === 'compose' && b.kind === 'compose' && [b.prompt.system, b.prompt.user, b.prompt.mapping],
    );
  });

  it('blocks special categories the policy blocks, before any prompt exists', () => {
    expect(
      planDraft(
        input(contact({ callback_note: 'Bitte nicht freitags anrufen, sie ist in der Synagoge engagiert.' })),
      ),
    ).toEqual({ kind: 'blocked', categories: ['religion'] });
  });

  it('routes health notes to the local model', () => {
    const plan = planDraft(
      input(contact({ callback_note: 'Ist nach einem Bandscheibenvorfall noch krankgeschrieben.' })),
    );
    expect(plan.kind === 'compose' && [plan.route, plan.sensitive]).toEqual(['local', 'local']);
  });

  it('writes English wording for English contacts', () => {
    const plan = planDraft(input(contact({ language: 'en', salutation: 'Ms' })));
    expect(plan.kind === 'compose' && plan.language).toBe('en');
    if (plan.kind !== 'compose') return;
    expect(plan.fallback.body).toContain('Kind regards\nMax Vertrieb');
    expect(plan.prompt.strictInstruction).toMatch(/^IMPORTANT: Use only these placeholders/);
    expect(plan.prompt.user).toContain('CRM note');
  });

  it('puts computed slots into the prompt as fixed text, outside the pseudonymiser, and into the fallback', () => {
    const slots = ['Dienstag, 1. Dezember, 10:00–10:30 Uhr', 'Mittwoch, 2. Dezember, 09:00–09:30 Uhr'];
    const plan = planDraft({ ...input(), slots });
    if (plan.kind !== 'compose') throw new Error('expected compose');
    expect(plan.prompt.user).toContain(
      'Zeitfenster (genau so übernehmen):\n1. Dienstag, 1. Dezember, 10:00–10:30 Uhr\n2. Mittwoch, 2. Dezember, 09:00–09:30 Uhr',
    );
    expect(plan.prompt.system).toContain('Nenne keine anderen Zeiten');
    expect(plan.prompt.system).not.toContain('zwei konkrete');
    expect(plan.prompt.verbatim).toEqual(slots);
    expect(plan.prompt.strictInstruction).toContain(
      '1. Dienstag, 1. Dezember, 10:00–10:30 Uhr / 2. Mittwoch',
    );
    expect(plan.prompt.guard(plan.prompt.user)).toEqual([]);
    expect(plan.fallback.body).toContain(
      '1. Dienstag, 1. Dezember, 10:00–10:30 Uhr\n2. Mittwoch, 2. Dezember, 09:00–09:30 Uhr',
    );
  });

  it('without slots asks the contact for times and never proposes any', () => {
    const plan = planDraft({ ...input(), slots: [] });
    if (plan.kind !== 'compose') throw new Error('expected compose');
    expect(plan.prompt.system).toContain('Nenne keine Termine und keine Uhrzeiten');
    expect(plan.prompt.user).not.toContain('Zeitfenster');
    expect(plan.prompt.verbatim).toEqual([]);
    expect(plan.fallback.body).toMatch(/[Nn]ennen Sie mir (bitte |kurz )*zwei Zeitfenster/);
  });
});

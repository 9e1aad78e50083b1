import { describe, expect, it } from 'vitest';
import type { LlmExtractRequest, LlmPort } from '../../src/ports.ts';
import { readReply } from '../../src/scheduling/reply.ts';
import { understandReply } from '../../src/scheduling/understand.ts';

// The second engine: pseudonymised text out, a schema answer back, checked in code; disagreement books nothing.
const OFFER = [
  { start: '2026-12-08T09:00:00Z', end: '2026-12-08T09:30:00Z' },
  { start: '2026-12-09T13:00:00Z', end: '2026-12-09T13:30:00Z' },
];
const ctx = {
  timeZone: 'Europe/Berlin',
  now: new Date('2026-12-07T08:00:00Z'),
  language: 'de' as const,
  requestId: 'req-1',
};

function fakeLlm(answer: unknown, seen: LlmExtractRequest<unknown>[] = []): LlmPort {
  return {
    draft: () => Promise.reject(new Error('not used')),
    extract: <T>(request: LlmExtractRequest<T>) => {
      seen.push(request as LlmExtractRequest<unknown>);
      return Promise.resolve(request.schema.parse(answer));
    },
  };
}

describe('understandReply with the LLM engine', () => {
  it('books where both engines pick the same slot; the model sees placeholders, numbered slots and today', async () => {
    const seen: LlmExtractRequest<unknown>[] = [];
    const text = 'Der zweite passt. Gruß, Erika Musterfrau, erika.musterfrau@example.com';
    const a = await understandReply(
      { llm: fakeLlm({ kind: 'pick', choice: 2, counter_date: null, counter_time: null }, seen) },
      { text },
      OFFER,
      ctx,
    );
    expect(a).toMatchObject({ kind: 'pick', choice: 1 });
    expect(seen[0]!.user).not.toContain('erika.musterfrau@example.com');
    expect(seen[0]!.user).toContain('2. Mittwoch, 9. Dezember, 14:00–14:30 Uhr');
    expect(seen[0]!.user).toContain('2026-12-07');
  });

  it('books nothing when the engines disagree', async () => {
    const a = await understandReply(
      { llm: fakeLlm({ kind: 'pick', choice: 1, counter_date: null, counter_time: null }) },
      { text: 'Der zweite passt.' },
      OFFER,
      ctx,
    );
    expect(a).toMatchObject({ kind: 'unclear', choice: null, reason: 'engines_disagree' });
  });

  it('an answer outside the offer or the horizon counts as no answer (and so disagrees with a pick)', async () => {
    const bad = await understandReply(
      { llm: fakeLlm({ kind: 'pick', choice: 7, counter_date: null, counter_time: null }) },
      { text: 'Der zweite passt.' },
      OFFER,
      ctx,
    );
    expect(bad.kind).toBe('unclear');
    const far = await understandReply(
      { llm: fakeLlm({ kind: 'counter', choice: null, counter_date: '2029-01-01', counter_time: '10:00' }) },
      { text: 'Keiner passt, ginge Freitag 14 Uhr?' },
      OFFER,
      ctx,
    );
    expect(far).toMatchObject({ kind: 'unclear', reason: 'engines_disagree' });
  });

  it('without an answer from the model the rules decide alone', async () => {
    const failing: LlmPort = {
      draft: () => Promise.reject(new Error('x')),
      extract: () => Promise.reject(new Error('down')),
    };
    const a = await understandReply({ llm: failing }, { text: 'Der zweite passt.' }, OFFER, ctx);
    expect(a).toEqual(readReply('Der zweite passt.', OFFER, ctx));
  });
});

import { describe, expect, it } from 'vitest';
import {
  LeakBlocked,
  UpstreamRateLimited,
  UpstreamRejected,
  UpstreamUnavailable,
} from '../../../src/errors.ts';
import { createLogger } from '../../../src/logger.ts';
import type { LlmPrompt } from '../../../src/pipeline/draft-plan.ts';
import { draftWithLlm, type LlmDraftContext } from '../../../src/pipeline/llm-draft.ts';
import type { LlmDraftOutcome, LlmDraftRequest, LlmPort } from '../../../src/ports.ts';

/** An LLM that answers from a script, one entry per call, and records what it was sent. */
function scriptedLlm(script: (LlmDraftOutcome | Error)[]): LlmPort & { requests: LlmDraftRequest[] } {
  const requests: LlmDraftRequest[] = [];
  return {
    requests,
    async draft(request) {
      requests.push(request);
      const next = script.shift();
      if (!next) throw new Error('unexpected extra LLM call');
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

function fakeCircuit(open = false) {
  const events: string[] = [];
  return {
    events,
    isOpen: async () => open,
    recordFailure: async () => void events.push('failure'),
    recordSuccess: async () => void events.push('success'),
  };
}

const prompt: LlmPrompt = {
  system: 'system',
  user: 'user',
  strictInstruction: 'STRICT',
  mapping: { '[[PERSON_1]]': 'Erika Musterfrau' },
  verbatim: [],
  required: ['[[PERSON_1]]'],
  guard: () => [],
};
const context: LlmDraftContext = {
  requestId: 'req-unit-1',
  route: 'eu',
  language: 'de',
  allowedLinks: [],
  lastAttempt: false,
};
const drafted = (body: string): LlmDraftOutcome => ({
  kind: 'drafted',
  draft: { subject: 'Ihr Rückruf', body, language: 'de' },
  usage: { promptTokens: 1, completionTokens: 1 },
  model: 'test',
});
const logger = createLogger({ level: 'silent' });

describe('LLM step (call, stricter retry, restore, circuit)', () => {
  it('restores the placeholders locally and records a success', async () => {
    const llm = scriptedLlm([drafted('Guten Tag [[PERSON_1]], gern rufe ich zurück.')]);
    const circuit = fakeCircuit();
    expect(await draftWithLlm({ llm, circuit, logger }, prompt, context)).toEqual({
      kind: 'drafted',
      subject: 'Ihr Rückruf',
      body: 'Guten Tag Erika Musterfrau, gern rufe ich zurück.',
      path: 'llm',
    });
    expect(circuit.events).toEqual(['success']);
    expect(llm.requests[0]!.system).toBe('system');
  });

  it('an answer that changed an offered slot is retried strictly, and a second change drafts from the template', async () => {
    const withSlots: LlmPrompt = { ...prompt, verbatim: ['Dienstag, 1. Dezember, 10:00–10:30 Uhr'] };
    const good = 'Guten Tag [[PERSON_1]],\n1. Dienstag, 1. Dezember, 10:00–10:30 Uhr';
    const altered = 'Guten Tag [[PERSON_1]],\n1. Dienstag, 1. Dezember, 10:30–11:00 Uhr';
    const fixed = scriptedLlm([drafted(altered), drafted(good)]);
    expect(
      await draftWithLlm({ llm: fixed, circuit: fakeCircuit(), logger }, withSlots, context),
    ).toMatchObject({
      kind: 'drafted',
      body: 'Guten Tag Erika Musterfrau,\n1. Dienstag, 1. Dezember, 10:00–10:30 Uhr',
    });
    expect(fixed.requests[1]!.system).toBe('system\nSTRICT');
    const stubborn = scriptedLlm([drafted(altered), drafted(altered)]);
    expect(await draftWithLlm({ llm: stubborn, circuit: fakeCircuit(), logger }, withSlots, context)).toEqual(
      { kind: 'template', reason: 'llm_slots_altered', path: 'template' },
    );
  });

  it('retries once with the stricter instruction after an unusable answer, then falls back to the template', async () => {
    const llm = scriptedLlm([drafted('Ohne Platzhalter.'), { kind: 'truncated' }]);
    expect(await draftWithLlm({ llm, circuit: fakeCircuit(), logger }, prompt, context)).toEqual({
      kind: 'template',
      reason: 'llm_truncated',
      path: 'template',
    });
    expect(llm.requests.map((r) => r.system)).toEqual(['system', 'system\nSTRICT']);
  });

  it('does not retry a content-filtered answer', async () => {
    const llm = scriptedLlm([{ kind: 'content_filtered', categories: ['violence'] }]);
    expect(await draftWithLlm({ llm, circuit: fakeCircuit(), logger }, prompt, context)).toEqual({
      kind: 'template',
      reason: 'llm_content_filtered',
      path: 'template',
    });
  });

  it('skips the LLM while the circuit is open', async () => {
    const llm = scriptedLlm([]);
    expect(await draftWithLlm({ llm, circuit: fakeCircuit(true), logger }, prompt, context)).toEqual({
      kind: 'template',
      reason: 'llm_circuit_open',
      path: 'llm',
    });
  });

  it('a leak-guard refusal drafts from the template when there is no note to leave out', async () => {
    const llm = scriptedLlm([new LeakBlocked(['EMAIL', 'EMAIL'])]);
    expect(await draftWithLlm({ llm, circuit: fakeCircuit(), logger }, prompt, context)).toEqual({
      kind: 'template',
      reason: 'leak_guard',
      path: 'template',
    });
  });

  it('a leak-guard refusal asks once more without the free-text note', async () => {
    const llm = scriptedLlm([
      new LeakBlocked(['PERSON']),
      drafted('Guten Tag [[PERSON_1]], gern rufe ich zurück.'),
    ]);
    const result = await draftWithLlm(
      { llm, circuit: fakeCircuit(), logger },
      { ...prompt, userWithoutNote: 'user without note' },
      context,
    );
    expect(result).toMatchObject({ kind: 'drafted', path: 'llm_without_note' });
    expect(llm.requests.map((r) => r.user)).toEqual([prompt.user, 'user without note']);
  });

  it('an outage counts against the circuit and is retried; on the last attempt the template drafts', async () => {
    const circuit = fakeCircuit();
    const outage = new UpstreamUnavailable('llm', 'llm eu failed with 503', 503);
    await expect(draftWithLlm({ llm: scriptedLlm([outage]), circuit, logger }, prompt, context)).rejects.toBe(
      outage,
    );
    expect(
      await draftWithLlm({ llm: scriptedLlm([outage]), circuit, logger }, prompt, {
        ...context,
        lastAttempt: true,
      }),
    ).toEqual({ kind: 'template', reason: 'llm_unavailable', path: 'template' });
    expect(circuit.events).toEqual(['failure', 'failure']);
  });

  it('a refusal drafts from the template; a rate limit goes to the stage runner without touching the circuit', async () => {
    const circuit = fakeCircuit();
    expect(
      await draftWithLlm(
        { llm: scriptedLlm([new UpstreamRejected('llm', 400, 'bad')]), circuit, logger },
        prompt,
        context,
      ),
    ).toEqual({ kind: 'template', reason: 'llm_rejected_400', path: 'template' });
    const limited = new UpstreamRateLimited('llm', 1000);
    await expect(
      draftWithLlm({ llm: scriptedLlm([limited]), circuit, logger }, prompt, {
        ...context,
        lastAttempt: true,
      }),
    ).rejects.toBe(limited);
    expect(circuit.events).toEqual([]);
  });

  it('a plain Error is not an LLM outage: not counted, not turned into a template on the last attempt', async () => {
    const circuit = fakeCircuit();
    const bug = new TypeError('cannot read properties of undefined');
    await expect(
      draftWithLlm({ llm: scriptedLlm([bug]), circuit, logger }, prompt, { ...context, lastAttempt: true }),
    ).rejects.toBe(bug);
    expect(circuit.events).toEqual([]);
  });
});

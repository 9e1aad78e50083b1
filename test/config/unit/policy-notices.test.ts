import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { noticeFor, parsePolicy, PolicyError } from '../../../src/policy.ts';

const policyText = readFileSync(new URL('../../../config/policy.yaml', import.meta.url), 'utf8');

function problemsOf(text: string): string[] {
  try {
    parsePolicy(text, 'config/policy.yaml');
    return [];
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
}
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('AI notices per delivery mode', () => {
  it('the default policy names the rep on reviewed mails and claims no review on automatic ones', () => {
    const p = parsePolicy(policyText);
    expect(noticeFor(p, p.flows.callback!, 'de')).toBe(
      'Diese E-Mail wurde mit Unterstützung eines KI-Systems verfasst und von {{rep}} geprüft.',
    );
    const auto = { ...p.flows.callback!, delivery: 'auto' as const };
    expect(noticeFor(p, auto, 'de')).toBe(
      'Diese E-Mail wurde automatisch mit Unterstützung eines KI-Systems erstellt.',
    );
    expect(noticeFor(p, auto, 'en')).toBe(
      'This e-mail was created automatically with the help of an AI system.',
    );
    for (const text of Object.values(p.mail.transparencyNotice).flatMap((n) => Object.values(n)))
      expect(text).not.toMatch(/Entwurf|draft\b/i);
    expect(p.mail.maxBodyChars).toBe(4000);
  });

  it('a flow notice overrides the mode notice', () => {
    const text = policyText.replace(
      '    template: new_lead\n',
      '    template: new_lead\n    notice: { de: "Mit KI erstellt.", en: "Made with AI." }\n',
    );
    const p = parsePolicy(text);
    expect(noticeFor(p, p.flows.new_lead!, 'en')).toBe('Made with AI.');
  });

  it('refuses an automatic notice that claims a review, with file and line', () => {
    const text = policyText.replace(
      'This e-mail was created automatically with the help of an AI system.',
      'This e-mail was checked by a person.',
    );
    const problems = problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `^config/policy\\.yaml:${lineOf(text, 'checked by a person')}:\\d+: mail\\.transparencyNotice\\.auto\\.en: .*must not claim`,
      ),
    );
  });

  it('refuses a review-claiming flow notice on an auto flow, but not on a review flow', () => {
    const onAuto = policyText
      .replace(
        '    delivery: review           # review: draft',
        '    delivery: auto             # review: draft',
      )
      .replace(
        '    template: callback\n',
        '    template: callback\n    notice:\n      de: "Von {{rep}} geprüft."\n      en: "Made with AI."\n',
      );
    const problems = problemsOf(onAuto);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(
        `^config/policy\\.yaml:${lineOf(onAuto, 'Von {{rep}} geprüft')}:\\d+: flows\\.callback\\.notice\\.de: flow "callback" is sent automatically`,
      ),
    );
    const onReview = onAuto.replace(
      '    delivery: auto             # review: draft',
      '    delivery: review           # review: draft',
    );
    expect(problemsOf(onReview)).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLeakGuard } from '../../../src/privacy/leak-guard.ts';

describe('leak guard', () => {
  const known = ['Erika Musterfrau', 'Erika', 'Musterfrau', 'erika.musterfrau@example.com', '+49 30 901820'];
  const guard = createLeakGuard(known, { template: ['You write on behalf of a sales representative.'] });

  it('finds known values in any spelling and format', () => {
    expect(guard('Bitte MUSTERFRAU anrufen')).toContain('KNOWN_VALUE');
    expect(guard('Bitte erika musterfrau anrufen')).toContain('KNOWN_VALUE');
    expect(guard('Tel 030 901820')).toContain('KNOWN_VALUE');
    expect(guard('Erikas Angebot')).toContain('KNOWN_VALUE');
    expect(createLeakGuard(['Jürgen Müller'])('bitte juergen mueller anrufen')).toContain('KNOWN_VALUE');
    expect(createLeakGuard(['Müller'])('Herr Muller')).toContain('KNOWN_VALUE');
    expect(createLeakGuard(['José'])('Jose hat angerufen')).toContain('KNOWN_VALUE');
    expect(guard("Musterfrau's offer")).toContain('KNOWN_VALUE');
    expect(guard('Erikastraße ist keine Person')).not.toContain('KNOWN_VALUE');
    expect(guard('Tel +49 (0)30 90 18 20')).toContain('KNOWN_VALUE');
    expect(guard('mail: erika.musterfrau@example.com')).toEqual(
      expect.arrayContaining(['KNOWN_VALUE', 'EMAIL']),
    );
  });

  it("reads a text that comes again (a flow's system prompt) the same way for every request", () => {
    const text =
      'Schreibe an [[PERSON_1]]. Rückruf 0171 2345678, sonst Herr Bernd Beispielmann oder 030 901820.';
    const other = createLeakGuard(['Beispielmann']);
    for (let i = 0; i < 4; i++) {
      expect(createLeakGuard(['Anna Nullmann'])(text).sort()).toEqual(['PERSON', 'PHONE', 'PHONE']);
      expect(other(text).sort()).toEqual(['KNOWN_VALUE', 'PERSON', 'PHONE', 'PHONE']);
      expect(guard(text).sort()).toEqual(['KNOWN_VALUE', 'PERSON', 'PHONE', 'PHONE']);
    }
  });

  it('finds recogniser hits that no CRM field announced', () => {
    expect(guard('Mail an someone@example.net')).toContain('EMAIL');
    expect(guard('Herr Bernd Beispielmann')).toContain('PERSON');
    expect(guard('IBAN DE89 3704 0044 0532 0130 00')).toContain('IBAN');
    expect(guard('Rückruf 0171 2345678')).toContain('PHONE');
  });

  it('ignores placeholders and our own prompt and template wording', () => {
    expect(
      guard(
        'Sehr geehrte Frau [[PERSON_3]], Ihr Rückruf: [[PHONE_1]] – Mit freundlichen Grüßen [[PERSON_4]]',
      ),
    ).toEqual([]);
    expect(
      guard(
        'Placeholders of the form [[TYPE_N]] stand for real details. You write on behalf of a sales representative.',
      ),
    ).toEqual([]);
    // The project's real prompt templates (system + user + fallback, all languages) pass as they are.
    for (const file of ['config/prompts/callback.yaml', 'config/prompts/new_lead.yaml']) {
      expect(createLeakGuard(known)(readFileSync(file, 'utf8')), file).toEqual([]);
    }
  });
});

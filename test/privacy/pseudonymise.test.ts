import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createLeakGuard } from '../../src/privacy/leak-guard.ts';
import { Pseudonymiser } from '../../src/privacy/pseudonymise.ts';
import { ibanValid, recognise, ssnValid, taxIdValid } from '../../src/privacy/recognisers.ts';
import { greeting } from '../../src/privacy/salutation.ts';
import { buildCorpus } from './corpus.ts';
import { evaluate, missedTargets } from './evaluate.ts';

const contact = { firstname: 'Jürgen', lastname: 'Müller-Lüdenscheidt', email: 'juergen.mueller@example.com', phone: '+49 30 1234567', company: 'Beispiel Maschinenbau GmbH', owner_firstname: 'Erika', owner_lastname: 'Musterfrau' };

describe('pseudonymisation of known CRM values', () => {
  it('replaces every spelling: umlauts transliterated, case, hyphen parts, initials, "Last, First", any phone format', () => {
    const ps = new Pseudonymiser(contact);
    const out = ps.pseudonymise(
      'JUERGEN MUELLER-LUEDENSCHEIDT rief an. J. Müller-Lüdenscheidt bzw. Müller-Lüdenscheidt, Jürgen; Lüdenscheidt sagt 030/123 45 67 oder +49 (0)30 1234-567 oder 0049 30 1234567. Mail: juergen.mueller@example.com (juergen.mueller). Firma Beispiel Maschinenbau GmbH. Gruß an Erika.',
    );
    for (const v of ['JUERGEN', 'Jürgen', 'Müller', 'Lüdenscheidt', 'LUEDENSCHEIDT', '1234567', '123 45 67', '1234-567', 'juergen.mueller', 'Beispiel Maschinenbau', 'Erika']) expect(out).not.toContain(v);
    expect(out).toMatch(/^\[\[PERSON_1\]\] rief an\./);
  });

  it('keeps placeholders stable within a job and typed', () => {
    const ps = new Pseudonymiser(contact);
    const a = ps.pseudonymise('Jürgen Müller-Lüdenscheidt, +49 171 2345678');
    const b = ps.pseudonymise('Nochmal: jürgen müller-lüdenscheidt unter 0171 2345678.');
    expect(a).toBe('[[PERSON_1]], [[PHONE_2]]');
    expect(b).toBe('Nochmal: [[PERSON_1]] unter [[PHONE_2]].');
    expect(ps.placeholderFor('lastname')).toBe('[[PERSON_3]]');
    expect(ps.mapping()['[[PERSON_1]]']).toBe('Jürgen Müller-Lüdenscheidt');
    for (const p of Object.keys(ps.mapping())) expect(p).toMatch(/^\[\[[A-Z]+_\d+\]\]$/);
  });

  it('does not eat e-mail local parts with a known first name', () => {
    const ps = new Pseudonymiser({ firstname: 'Jonas', lastname: 'Beispielmann' });
    expect(ps.pseudonymise('jonas@example.com und Jonas')).toBe('[[EMAIL_1]] und [[PERSON_2]]');
  });
});

describe('recognisers', () => {
  const types = (text: string) => recognise(text).map((s) => [s.type, text.slice(s.start, s.end)]);

  it('find what the CRM did not tell us', () => {
    expect(types('Kontakt: anna.schmidt@example.org')).toEqual([['EMAIL', 'anna.schmidt@example.org']]);
    expect(types('Frau Dr. Sabine Wagner ruft an')).toEqual([['PERSON', 'Sabine Wagner']]);
    expect(types('Mr. John Smith called')).toEqual([['PERSON', 'John Smith']]);
    expect(types('Meeting mit Anna und Jonas')).toEqual([['PERSON', 'Anna'], ['PERSON', 'Jonas']]);
    expect(types('IBAN DE89 3704 0044 0532 0130 00')).toEqual([['IBAN', 'DE89 3704 0044 0532 0130 00']]);
    expect(types('Karte 4111 1111 1111 1111')).toEqual([['CARD', '4111 1111 1111 1111']]);
    expect(types('Steuer-ID 65929970489')).toEqual([['TAXID', '65929970489']]);
    expect(types('Adresse: Hauptstraße 5, 10115 Berlin')).toEqual([['ADDRESS', 'Hauptstraße 5, 10115 Berlin']]);
    expect(types('geboren am 12.03.1980')).toEqual([['DOB', 'geboren am 12.03.1980']]);
    expect(types('IP 192.168.1.20')).toEqual([['IP', '192.168.1.20']]);
    expect(types('siehe linkedin.com/in/anna-schmidt-123')).toEqual([['URL', 'linkedin.com/in/anna-schmidt-123']]);
    for (const phone of ['+49 30 12345678', '030 12345678', '030/12345678', '+49 (0)30 1234 5678', '0049 30 12345678', '0171 2345678', '+43 1 5876543', '+41 44 668 18 00', '+44 20 7946 0958', '(030) 1234567']) {
      expect(types(`Tel. ${phone} bitte`), phone).toEqual([['PHONE', phone]]);
    }
  });

  it('leave company and product names, dates, prices and order numbers alone', () => {
    for (const clean of ['Anna Schmidt GmbH ist Kunde.', 'Apple Pencil und Deutsche Bank', 'Termin am 12.03.2026 um 10:00', 'Preis 12.500,00 EUR', 'Bestellnummer 4711-2026', 'ISO 9001 zertifiziert', 'KW 12 passt']) {
      expect(types(clean), clean).toEqual([]);
    }
  });

  it('validate check digits: IBAN mod 97, Steuer-ID, Rentenversicherungsnummer', () => {
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('DE88 3704 0044 0532 0130 00')).toBe(false);
    expect(taxIdValid('65929970489')).toBe(true);
    expect(taxIdValid('65929970488')).toBe(false);
    expect(ssnValid('12150380M046')).toBe(false);
  });
});

describe('salutations are decided by code', () => {
  it('stays grammatical in German and English', () => {
    expect(greeting({ lang: 'de', salutation: 'Frau', lastName: '[[PERSON_3]]' })).toBe('Sehr geehrte Frau [[PERSON_3]],');
    expect(greeting({ lang: 'de', salutation: 'Herr Dr.', lastName: 'Beispiel' })).toBe('Sehr geehrter Herr Dr. Beispiel,');
    expect(greeting({ lang: 'de', salutation: null, lastName: 'Beispiel', fullName: 'Kim Beispiel' })).toBe('Guten Tag Kim Beispiel,');
    expect(greeting({ lang: 'en', salutation: 'Ms', lastName: 'Example' })).toBe('Dear Ms Example,');
  });
});

describe('leak guard', () => {
  const guard = createLeakGuard(['Erika Musterfrau', 'Musterfrau', 'erika.musterfrau@example.com', '+49 30 901820'], { templateText: 'You write on behalf of a sales representative.' });
  it('finds known values in any spelling and recogniser hits', () => {
    expect(guard('Bitte MUSTERFRAU anrufen')).toContain('KNOWN_VALUE');
    expect(guard('Tel 030 901820')).toContain('KNOWN_VALUE');
    expect(guard('Mail an someone@example.net')).toContain('EMAIL');
    expect(guard('Herr Bernd Beispielmann')).toContain('PERSON');
  });
  it('ignores placeholders and our own prompt wording', () => {
    expect(guard('Sehr geehrte Frau [[PERSON_3]], Ihr Rückruf: [[PHONE_1]] – Mit freundlichen Grüßen [[PERSON_4]]')).toEqual([]);
    expect(guard('Placeholders of the form [[TYPE_N]] stand for real details. You write on behalf of a sales representative.')).toEqual([]);
  });
});

describe('draftbridge pseudonymise (JSON Lines contract)', () => {
  it('answers one line per input line, never prints an original value, and reports categories and blocking', async () => {
    const input = [
      JSON.stringify({ text: 'Herr Jonas Beispielmann (jonas.beispielmann@example.com, 0171 2345678) bittet um Rückruf.', contact: { firstname: 'Jonas', lastname: 'Beispielmann', email: 'jonas.beispielmann@example.com' }, lang: 'de' }),
      'not json',
      JSON.stringify({ text: 'She goes to church every Sunday; call Ms. Example on +44 20 7946 0958.', lang: 'en' }),
      JSON.stringify({ nope: 1 }),
    ].join('\n');
    const child = spawn(process.execPath, [new URL('../../src/cli.ts', import.meta.url).pathname, 'pseudonymise'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += String(d)));
    child.stdin.end(input);
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toEqual({
      text: 'Herr [[PERSON_1]] ([[EMAIL_1]], [[PHONE_1]]) bittet um Rückruf.',
      entities: expect.arrayContaining([{ type: 'PERSON', placeholder: '[[PERSON_1]]' }, { type: 'EMAIL', placeholder: '[[EMAIL_1]]' }, { type: 'PHONE', placeholder: '[[PHONE_1]]' }]),
      categories: [],
      blocked: false,
    });
    expect(lines[0].entities).toHaveLength(3);
    expect(lines[1]).toEqual({ error: 'line 2: not valid JSON' });
    expect(lines[2]).toMatchObject({ categories: ['religion'], blocked: true });
    expect(lines[3].error).toMatch(/^line 4: text/);
    for (const v of ['Jonas', 'Beispielmann', 'jonas.beispielmann', '2345678', 'Example', '7946']) expect(out).not.toContain(v);
  });
});

describe('privacy evaluation corpus', () => {
  it('has at least 500 labelled de/en notes and meets the leak and detection targets', () => {
    const corpus = buildCorpus(600);
    expect(corpus.length).toBeGreaterThanOrEqual(500);
    expect(new Set(corpus.map((n) => n.lang))).toEqual(new Set(['de', 'en']));
    expect(missedTargets(evaluate(corpus), { timing: false })).toEqual([]);
  });
});

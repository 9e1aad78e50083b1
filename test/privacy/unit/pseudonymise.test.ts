import { describe, expect, it } from 'vitest';
import { Pseudonymiser } from '../../../src/privacy/pseudonymise.ts';
import { greeting } from '../../../src/privacy/salutation.ts';

const contact = {
  firstname: 'Jürgen',
  lastname: 'Müller-Lüdenscheidt',
  email: 'juergen.mueller@example.com',
  phone: '+49 30 1234567',
  company: 'Beispiel Maschinenbau GmbH',
  owner_firstname: 'Erika',
  owner_lastname: 'Musterfrau',
};

describe('pseudonymisation of known CRM values', () => {
  it('replaces every spelling: umlauts transliterated, case, hyphen parts, initials, "Last, First", any phone format', () => {
    const ps = new Pseudonymiser(contact);
    const out = ps.pseudonymise(
      'JUERGEN MUELLER-LUEDENSCHEIDT rief an. J. Müller-Lüdenscheidt bzw. Müller-Lüdenscheidt, Jürgen; Lüdenscheidt sagt 030/123 45 67 oder +49 (0)30 1234-567 oder 0049 30 1234567. Mail: juergen.mueller@example.com (juergen.mueller). Firma Beispiel Maschinenbau GmbH. Gruß an Erika.',
    );
    for (const v of [
      'JUERGEN',
      'Jürgen',
      'Müller',
      'Lüdenscheidt',
      'LUEDENSCHEIDT',
      '1234567',
      '123 45 67',
      '1234-567',
      'juergen.mueller',
      'Beispiel Maschinenbau',
      'Erika',
    ])
      expect(out).not.toContain(v);
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

  it('matches accents and umlauts in either direction', () => {
    const ps = new Pseudonymiser({ firstname: 'José', lastname: 'Muller' });
    expect(ps.pseudonymise('Jose Müller, JOSÉ, Mueller, muller')).toBe(
      '[[PERSON_1]], [[PERSON_2]], [[PERSON_3]], [[PERSON_3]]',
    );
    const ps2 = new Pseudonymiser({ firstname: 'Jürgen', lastname: 'Strauß' });
    expect(ps2.pseudonymise('Juergen Strauss, Jurgen STRAUSS, jürgen strauß')).toBe(
      '[[PERSON_1]], [[PERSON_1]], [[PERSON_1]]',
    );
  });

  it('does not eat e-mail local parts with a known first name', () => {
    const ps = new Pseudonymiser({ firstname: 'Jonas', lastname: 'Beispielmann' });
    expect(ps.pseudonymise('jonas@example.com und Jonas')).toBe('[[EMAIL_1]] und [[PERSON_2]]');
  });

  it('keeps a genitive readable without a letter touching the placeholder, and leaves longer words alone', () => {
    const ps = new Pseudonymiser({ firstname: 'Anna', lastname: 'Beispiel' });
    expect(ps.pseudonymise("Annas Angebot, Anna's offer, Beispiels Firma")).toBe(
      "[[PERSON_2]]'s Angebot, [[PERSON_2]]'s offer, [[PERSON_3]]'s Firma",
    );
    expect(ps.pseudonymise('Annahme der Beispielrechnung')).toBe('Annahme der Beispielrechnung');
  });

  it('replaces known values first, then what the recognisers find, with one placeholder per value', () => {
    const ps = new Pseudonymiser(
      { firstname: 'Greta', lastname: 'Beispielfrau', email: null, phone: undefined },
      { lang: 'de' },
    );
    const out = ps.pseudonymise(
      'Greta Beispielfrau und Herr Bernd Muster, IBAN DE89 3704 0044 0532 0130 00; nochmals DE89370400440532013000 nicht, aber DE89 3704 0044 0532 0130 00.',
    );
    expect(out).toBe(
      '[[PERSON_1]] und Herr [[PERSON_4]], IBAN [[IBAN_1]]; nochmals [[IBAN_2]] nicht, aber [[IBAN_1]].',
    );
    expect(ps.entities()).toEqual(
      expect.arrayContaining([
        { type: 'IBAN', placeholder: '[[IBAN_1]]' },
        { type: 'PERSON', placeholder: '[[PERSON_4]]' },
      ]),
    );
    expect(ps.mapping()['[[PERSON_4]]']).toBe('Bernd Muster');
    expect(ps.placeholderFor('email')).toBeUndefined();
  });

  it('hides the owner (the rep) and the company too, each under its own field', () => {
    const ps = new Pseudonymiser(contact);
    const out = ps.pseudonymise('Erika Musterfrau von Beispiel Maschinenbau GmbH grüßt Jürgen.');
    expect(out).toBe(
      `${ps.placeholderFor('owner_fullname')} von ${ps.placeholderFor('company')} grüßt ${ps.placeholderFor('firstname')}.`,
    );
    expect(ps.placeholderFor('company')).toMatch(/^\[\[COMPANY_\d+\]\]$/);
    expect(ps.placeholderFor('owner_lastname')).not.toBe(ps.placeholderFor('lastname'));
  });

  it('phone digits however formatted map to one placeholder', () => {
    const ps = new Pseudonymiser({ phone: '+49 (0)30 1234567' });
    const out = ps.pseudonymise('030 1234567 / 030-123 45 67 / 0049 30 1234567 / +49301234567');
    expect(out).toBe('[[PHONE_1]] / [[PHONE_1]] / [[PHONE_1]] / [[PHONE_1]]');
  });
});

describe('salutations are decided by code', () => {
  it('stays grammatical in German and English', () => {
    expect(greeting({ lang: 'de', salutation: 'Frau', lastName: '[[PERSON_3]]' })).toBe(
      'Sehr geehrte Frau [[PERSON_3]],',
    );
    expect(greeting({ lang: 'de', salutation: 'Herr Dr.', lastName: 'Beispiel' })).toBe(
      'Sehr geehrter Herr Dr. Beispiel,',
    );
    expect(greeting({ lang: 'de', salutation: null, lastName: 'Beispiel', fullName: 'Kim Beispiel' })).toBe(
      'Guten Tag Kim Beispiel,',
    );
    expect(greeting({ lang: 'en', salutation: 'Ms', lastName: 'Example' })).toBe('Dear Ms Example,');
    expect(greeting({ lang: 'de', salutation: 'Frau Dr.', lastName: '[[PERSON_3]]' })).toBe(
      'Sehr geehrte Frau Dr. [[PERSON_3]],',
    );
    expect(greeting({ lang: 'de', salutation: 'Herr', lastName: '[[PERSON_3]]' })).toBe(
      'Sehr geehrter Herr [[PERSON_3]],',
    );
    expect(greeting({ lang: 'de', salutation: null, fullName: '[[PERSON_1]]' })).toBe(
      'Guten Tag [[PERSON_1]],',
    );
    expect(greeting({ lang: 'de', salutation: 'Divers', lastName: undefined })).toBe('Guten Tag,');
    expect(greeting({ lang: 'en', salutation: 'Mr.', lastName: '[[PERSON_3]]' })).toBe(
      'Dear Mr [[PERSON_3]],',
    );
    expect(
      greeting({ lang: 'en', salutation: null, lastName: '[[PERSON_3]]', fullName: '[[PERSON_1]]' }),
    ).toBe('Dear [[PERSON_1]],');
  });
});

describe('names found by the recognisers', () => {
  it('are hidden wherever they appear again in the job, parts included', () => {
    const ps = new Pseudonymiser({});
    const out = ps.pseudonymise(
      'Workshop mit Lisann und Stella. Lisann bringt die Unterlagen; laut Kollegin Gülşen Karagöz passt es, Karagöz meldet sich.',
    );
    for (const name of ['Lisann', 'Stella', 'Gülşen', 'Karagöz']) expect(out).not.toContain(name);
    expect(ps.pseudonymise('Nochmal: Lisann')).toBe(`Nochmal: ${out.match(/mit (\[\[PERSON_\d+\]\])/)![1]}`);
  });
});

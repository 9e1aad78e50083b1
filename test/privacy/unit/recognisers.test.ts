import { describe, expect, it } from 'vitest';
import { findEmails, ibanValid, recognise, ssnValid, taxIdValid } from '../../../src/privacy/recognisers.ts';

const hits = (text: string) => recognise(text).map((s) => [s.type, text.slice(s.start, s.end)]);

describe('recognisers: positives', () => {
  it('e-mail addresses', () => {
    expect(hits('Kontakt: anna.schmidt+crm@example.org.')).toEqual([
      ['EMAIL', 'anna.schmidt+crm@example.org'],
    ]);
    // The scan around "@" finds exactly what the classic address pattern finds.
    const pattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
    for (const text of [
      'a@b.co',
      'mail: a@b.com,b@c.de.',
      'foo@bar@baz.com',
      '@example.com',
      'a@b',
      'x@exa..mple.com',
      'a@b.com1',
      'a@b.c0m.de',
      '(kim_o@sub.example.test)',
    ]) {
      expect(
        findEmails(text).map(([a, b]) => text.slice(a, b)),
        text,
      ).toEqual([...text.matchAll(pattern)].map((m) => m[0]));
    }
  });

  it('phone numbers in German, Austrian, Swiss and international formats', () => {
    for (const phone of [
      '+49 30 12345678',
      '030 12345678',
      '030/12345678',
      '089 / 12 34 56',
      '+49 (0)30 1234 5678',
      '+49 (0) 89 1234-56',
      '0049 30 12345678',
      '0171 2345678',
      '(030) 1234567',
      '+43 1 5876543',
      '0664 1234567',
      '+41 44 668 18 00',
      '044 668 18 00',
      '+44 20 7946 0958',
      '+1 202 555 0143',
    ]) {
      expect(hits(`Tel. ${phone} bitte`), phone).toEqual([['PHONE', phone]]);
    }
  });

  it('IBANs (mod 97), cards (Luhn), Steuer-ID and Rentenversicherungsnummer (check digits)', () => {
    expect(hits('IBAN DE89 3704 0044 0532 0130 00')).toEqual([['IBAN', 'DE89 3704 0044 0532 0130 00']]);
    expect(hits('IBAN DE89370400440532013000')).toEqual([['IBAN', 'DE89370400440532013000']]);
    expect(hits('Karte 4111 1111 1111 1111')).toEqual([['CARD', '4111 1111 1111 1111']]);
    expect(hits('Steuer-ID 65929970489')).toEqual([['TAXID', '65929970489']]);
    expect(hits('RV-Nr. 65 170839 J 003')).toEqual([['SSN', '65 170839 J 003']]);
  });

  it('dates of birth only with a context word', () => {
    for (const dob of [
      'geboren am 12.03.1980',
      'geb. 3.4.1975',
      'Geburtstag: 03.04.1975',
      'DOB: 1980-03-12',
      'born 12 March 1980',
      'date of birth: March 12, 1980',
    ]) {
      expect(hits(`Notiz: ${dob}.`), dob).toEqual([['DOB', dob]]);
    }
  });

  it('street addresses with house number, postcode and city (DE/AT/CH), English order', () => {
    expect(hits('Adresse: Hauptstraße 5, 10115 Berlin')).toEqual([
      ['ADDRESS', 'Hauptstraße 5, 10115 Berlin'],
    ]);
    expect(hits('Bahnhofstrasse 21, CH-8001 Zürich')).toEqual([
      ['ADDRESS', 'Bahnhofstrasse 21, CH-8001 Zürich'],
    ]);
    expect(hits('Musterweg 12a, 8010 Graz')).toEqual([['ADDRESS', 'Musterweg 12a, 8010 Graz']]);
    expect(hits('an Auf dem Acker 2, 29524 Rheine')).toEqual([['ADDRESS', 'Auf dem Acker 2, 29524 Rheine']]);
    expect(hits('Hermann-Löns-Str. 16a')).toEqual([['ADDRESS', 'Hermann-Löns-Str. 16a']]);
    expect(hits('221B Baker Street')).toEqual([['ADDRESS', '221B Baker Street']]);
  });

  it('IP addresses v4 and v6', () => {
    expect(hits('Login von 192.0.2.20')).toEqual([['IP', '192.0.2.20']]);
    expect(hits('Login von 2001:db8::1')).toEqual([['IP', '2001:db8::1']]);
  });

  it('URLs that carry a person', () => {
    for (const url of [
      'linkedin.com/in/anna-schmidt-123',
      'https://www.xing.com/profile/Anna_Schmidt',
      'mailto:anna@example.com',
      'https://crm.example.com/view?email=anna.schmidt@example.com',
      'https://example.com/team/anna-schmidt',
    ]) {
      expect(hits(`siehe ${url} danke`), url).toEqual([['URL', url]]);
    }
  });

  it('person names: honorifics, titles, double-barrelled surnames, name lists, first+last pairs', () => {
    expect(hits('Frau Dr. Sabine Wagner ruft an')).toEqual([['PERSON', 'Sabine Wagner']]);
    expect(hits('Herrn Schulze-Meier ausrichten')).toEqual([['PERSON', 'Schulze-Meier']]);
    expect(hits('Mr. John Smith called')).toEqual([['PERSON', 'John Smith']]);
    expect(hits("Call Mr. O'Brien")).toEqual([['PERSON', "O'Brien"]]);
    expect(hits('Prof. Dr. Klara Schulz')).toEqual([['PERSON', 'Klara Schulz']]);
    expect(hits('Meeting mit Lena, Paul und Marie')).toEqual([
      ['PERSON', 'Lena'],
      ['PERSON', 'Paul'],
      ['PERSON', 'Marie'],
    ]);
    expect(hits('Workshop mit René und Jonas')).toEqual([
      ['PERSON', 'René'],
      ['PERSON', 'Jonas'],
    ]);
    expect(hits('Laura Becker hat angerufen')).toEqual([['PERSON', 'Laura Becker']]);
  });
});

describe('recognisers: hard negatives stay untouched', () => {
  it('company and product names, business words, dates, prices, versions, order numbers', () => {
    for (const clean of [
      'Anna Schmidt GmbH ist Kunde.',
      'Frau Holle Bäckerei GmbH bestellt 40 Bleche.',
      'Siemens AG und Robert Bosch GmbH',
      'Apple Pencil und Deutsche Bank',
      'Das Max Planck Institut und Hugo Boss AG',
      'zwei Mercedes Benz Sprinter',
      'Kunde aus der Gesundheitsbranche, Bankverbindung als Thema',
      'Termin am 12.03.2026 um 10:00',
      'Preis 12.500,00 EUR',
      'Bestellnummer 4711-2026',
      'Software-Version 2.4.1.7 installiert',
      'ISO 9001 zertifiziert, KW 12 passt',
      'https://example.com/produkte/fraesmaschinen',
    ]) {
      expect(hits(clean), clean).toEqual([]);
    }
  });

  it('numbers with a wrong check digit are not IBANs, cards, tax or insurance ids', () => {
    expect(hits('DE88 3704 0044 0532 0130 00')).not.toContainEqual(expect.arrayContaining(['IBAN']));
    expect(hits('Auftrag 4111 1111 1111 1112')).not.toContainEqual(expect.arrayContaining(['CARD']));
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('DE88 3704 0044 0532 0130 00')).toBe(false);
    expect(taxIdValid('65929970489')).toBe(true);
    expect(taxIdValid('65929970488')).toBe(false);
    expect(taxIdValid('11111111111')).toBe(false);
    expect(ssnValid('65170839J003')).toBe(true);
    expect(ssnValid('65170839J004')).toBe(false);
  });

  it('never matches inside an existing placeholder', () => {
    expect(hits('Frau [[PERSON_1]] unter [[PHONE_2]] und [[EMAIL_1]]')).toEqual([]);
  });
});

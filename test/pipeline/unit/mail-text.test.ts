import { describe, expect, it } from 'vitest';
import {
  bodyWithoutSignature,
  finishMail,
  finishSubject,
  joinPunctuation,
} from '../../../src/pipeline/mail-text.ts';

const greeting = 'Sehr geehrte Frau Dr. Musterfrau,';
const closing = 'Mit freundlichen Grüßen\nMax Vertrieb';
const notice = 'Diese E-Mail wurde mit Unterstützung eines KI-Systems verfasst und von Max Vertrieb geprüft.';
const finish = (body: string, maxChars = 5000) => finishMail({ body, greeting, closing, notice, maxChars });

describe('joinPunctuation', () => {
  it.each([
    ['your interest at Example Logistics Ltd..', 'your interest at Example Logistics Ltd.'],
    [
      'im Namen der Beispiel Handels GmbH & Co. KG. Gern',
      'im Namen der Beispiel Handels GmbH & Co. KG. Gern',
    ],
    ['Danke , und bis bald .', 'Danke, und bis bald.'],
    ['zwei  Termine   vor', 'zwei Termine vor'],
    ['Passt Ihnen Dienstag ? Oder Mittwoch !', 'Passt Ihnen Dienstag? Oder Mittwoch!'],
    ['Wir melden uns ... bald', 'Wir melden uns... bald'],
    ['Muster Ltd.. Thank you', 'Muster Ltd. Thank you'],
    ['trailing spaces   ', 'trailing spaces'],
  ])('%s', (input, expected) => {
    expect(joinPunctuation(input)).toBe(expected);
  });

  it('joins a subject onto one line', () => {
    expect(finishSubject('  Ihr Rückrufwunsch ,  Terminvorschlag \n')).toBe(
      'Ihr Rückrufwunsch, Terminvorschlag',
    );
  });
});

describe('finishMail', () => {
  it('keeps greeting and closing exactly once, the notice under the signature delimiter', () => {
    const { body, shortened } = finish(
      `${greeting}\n${greeting}\n\nvielen Dank für Ihre Nachricht.\n\n${closing}\n\n${closing}`,
    );
    expect(shortened).toBe(false);
    expect(body).toBe(`${greeting}\n\nvielen Dank für Ihre Nachricht.\n\n${closing}\n\n-- \n${notice}`);
  });

  it('adds a missing greeting and closing', () => {
    const { body } = finish('vielen Dank für Ihre Nachricht.');
    expect(body.startsWith(`${greeting}\n\nvielen Dank`)).toBe(true);
    expect(body).toContain(`Ihre Nachricht.\n\n${closing}\n\n-- \n`);
  });

  it('takes a bare signature name under the text as the closing', () => {
    const { body } = finish(`${greeting}\n\nvielen Dank.\n\nMax Vertrieb`);
    expect(body.match(/Max Vertrieb/g)).toHaveLength(2); // the closing's and the notice's
    expect(body.split('\n-- \n')[0]!.match(/Max Vertrieb/g)).toHaveLength(1);
  });

  it('joins the punctuation of restored values inside the text', () => {
    const { body } = finish(
      `${greeting}\n\nvielen Dank für Ihre Nachricht im Namen der Example Logistics Ltd..  Gern rufe ich Sie zurück .\n\n${closing}`,
    );
    expect(body).toContain('im Namen der Example Logistics Ltd. Gern rufe ich Sie zurück.');
    expect(body).not.toMatch(/(?<!\.)\.\.(?!\.)| [,.]| {2}/);
  });

  it('collapses blank lines between paragraphs to one', () => {
    const { body } = finish(`${greeting}\n\n\n\nErster Absatz.\n\n\n\nZweiter Absatz.\n\n${closing}`);
    expect(body).toContain('Erster Absatz.\n\nZweiter Absatz.');
  });

  it('cuts the text at a sentence end to stay within the limit, keeping greeting, closing and notice', () => {
    const long = Array.from({ length: 40 }, (_, i) => `Satz Nummer ${i + 1} sagt etwas.`).join(' ');
    const { body, shortened } = finish(`${greeting}\n\n${long}\n\n${closing}`, 400);
    expect(shortened).toBe(true);
    expect(body.length).toBeLessThanOrEqual(400);
    expect(body.startsWith(greeting)).toBe(true);
    expect(body).toContain(`etwas.\n\n${closing}\n\n-- \n${notice}`);
  });

  it('an empty notice leaves out the delimiter too (the plain template involves no AI)', () => {
    const { body } = finishMail({ body: 'Kurz.', greeting, closing, notice: '', maxChars: 300 });
    expect(body).toBe(`${greeting}\n\nKurz.\n\n${closing}`);
  });

  it('leaves a mail within the limit alone', () => {
    const { body, shortened } = finish(`${greeting}\n\nKurz.\n\n${closing}`, 300);
    expect(shortened).toBe(false);
    expect(body.length).toBeLessThanOrEqual(300);
  });
});

describe('bodyWithoutSignature', () => {
  it('drops the delimiter and everything below it', () => {
    expect(bodyWithoutSignature(`Hallo,\n\nText.\n\n-- \n${notice}`)).toBe('Hallo,\n\nText.');
    expect(bodyWithoutSignature('Hallo,\r\n\r\nText.')).toBe('Hallo,\n\nText.');
  });
});

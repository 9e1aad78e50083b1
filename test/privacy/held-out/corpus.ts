import type { CorpusEntity, CorpusNote } from '../corpus.ts';
import { ORIGINS } from './names.ts';
import {
  BUSINESS_DATES,
  CATEGORY_STATEMENTS,
  CLEAN_FRAMES,
  COMPANIES,
  KNOWN_FRAMES,
  NEAR_MISSES,
  PRODUCTS,
  THIRD_PARTY_FRAMES,
  WAVE_2,
} from './phrases.ts';

/**
 * The held-out privacy set: CRM notes built from hand-written names (13 origins) and wordings that
 * the detectors never import, reproducibly (fixed seed). It is the set the README's privacy figures
 * are quoted for; the dev corpus (../corpus.ts) is what the detectors were tuned on.
 */

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
}

/** Diacritics off, as a rep on a German or US keyboard would type a name. */
export function asciiFold(s: string): string {
  return s
    .replace(/ß/g, 'ss')
    .replace(/[łŁ]/g, (c) => (c === 'ł' ? 'l' : 'L'))
    .replace(/ı/g, 'i')
    .replace(/İ/g, 'I')
    .replace(/[đĐ]/g, (c) => (c === 'đ' ? 'd' : 'D'))
    .replace(/[øØ]/g, (c) => (c === 'ø' ? 'o' : 'O'))
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .normalize('NFC');
}

const germanTranslit = (s: string) =>
  s
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/Ä/g, 'Ae')
    .replace(/Ö/g, 'Oe')
    .replace(/Ü/g, 'Ue')
    .replace(/ß/g, 'ss');

/** How a known name from the CRM may be spelled in a note. */
const SPELLINGS: ((s: string) => string)[] = [
  (s) => s,
  (s) => s.normalize('NFD'),
  asciiFold,
  (s) => s.toUpperCase(),
  (s) => s.replace(/'/g, '’'),
  germanTranslit,
  (s) => asciiFold(s).toUpperCase(),
];

function ibanFor(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const d of rearranged) rem = (rem * 10 + Number(d)) % 97;
  return `${country}${String(98 - rem).padStart(2, '0')}${bban}`.replace(/(.{4})/g, '$1 ').trim();
}

function luhnDigit(body: string): string {
  for (let c = 0; c <= 9; c++) {
    let sum = 0;
    let dbl = false;
    const s = body + c;
    for (let i = s.length - 1; i >= 0; i--) {
      let d = Number(s[i]);
      if (dbl) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
      dbl = !dbl;
    }
    if (sum % 10 === 0) return String(c);
  }
  throw new Error('unreachable');
}

function steuerId(rnd: () => number): string {
  for (;;) {
    const d = [1 + Math.floor(rnd() * 9)];
    while (d.length < 10) d.push(Math.floor(rnd() * 10));
    const counts = new Map<number, number>();
    for (const x of d) counts.set(x, (counts.get(x) ?? 0) + 1);
    const rep = [...counts.values()].filter((n) => n > 1);
    if (rep.length !== 1 || rep[0]! > 3) continue;
    let product = 10;
    for (const x of d) {
      let sum = (x + product) % 10;
      if (sum === 0) sum = 10;
      product = (sum * 2) % 11;
    }
    const check = (11 - product) % 10;
    return d.join('') + check;
  }
}

function rvNummer(rnd: () => number, initial: string): string {
  const dd = String(1 + Math.floor(rnd() * 28)).padStart(2, '0');
  const mm = String(1 + Math.floor(rnd() * 12)).padStart(2, '0');
  const yy = String(50 + Math.floor(rnd() * 49));
  const head = `${10 + Math.floor(rnd() * 80)}${dd}${mm}${yy}`;
  const serial = String(Math.floor(rnd() * 50)).padStart(2, '0');
  const digits = head + String(initial.charCodeAt(0) - 64).padStart(2, '0') + serial;
  const w = [2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1];
  let sum = 0;
  for (let i = 0; i < 12; i++) {
    const p = Number(digits[i]) * w[i]!;
    sum += Math.floor(p / 10) + (p % 10);
  }
  return `${head}${initial}${serial}${sum % 10}`;
}

/** Austrian social-insurance number: serial (3), check digit, birth date DDMMYY; weights 3,7,9,5,8,4,2,1,6. */
function atSvNummer(rnd: () => number): string {
  for (;;) {
    const serial = String(100 + Math.floor(rnd() * 899));
    const birth = `${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}${String(1 + Math.floor(rnd() * 12)).padStart(2, '0')}${String(50 + Math.floor(rnd() * 49))}`;
    const d = (serial + birth).split('').map(Number);
    const w = [3, 7, 9, 5, 8, 4, 2, 1, 6];
    const check = d.reduce((s, x, i) => s + x * w[i]!, 0) % 11;
    if (check === 10) continue;
    return `${serial}${check} ${birth}`;
  }
}

function digitsOf(rnd: () => number, n: number): string {
  let s = '';
  while (s.length < n) s += String(Math.floor(rnd() * 10));
  return s;
}

export function buildHeldOut(): CorpusNote[] {
  const rnd = rng(8_2026);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const notes: CorpusNote[] = [];
  const person = () => {
    const o = pick(ORIGINS);
    return { origin: o.origin, first: pick(o.given), last: pick(o.family) };
  };
  const hon = (lang: 'de' | 'en') =>
    lang === 'de' ? pick(['Herr', 'Frau', 'Frau Dr.', 'Herr Dr.']) : pick(['Mr', 'Ms', 'Mrs', 'Mr.', 'Dr.']);
  const nameParts = (v: string) => v.split(/[-\s]+/);
  const fill = (frame: string, slots: Record<string, string>) =>
    frame.replace(/\{(\w+)\}/g, (_, k: string) => slots[k] ?? '');

  // 1. Third parties the CRM does not know, every origin in every frame language.
  let n = 0;
  for (const o of ORIGINS) {
    for (let i = 0; i < 9; i++) {
      const lang: 'de' | 'en' = i % 3 === 2 ? 'en' : 'de';
      const frames = THIRD_PARTY_FRAMES[lang];
      const frame = frames[n++ % frames.length]!;
      const first = o.given[(i * 3 + n) % o.given.length]!;
      const last = o.family[(i * 7 + n) % o.family.length]!;
      const other = person();
      const text = fill(frame, { F: first, L: last, F2: other.first, L2: other.last, H: hon(lang) });
      const entities: CorpusEntity[] = [];
      if (frame.includes('{F}')) entities.push({ type: 'PERSON_UNKNOWN', value: first });
      if (frame.includes('{L}')) entities.push({ type: 'PERSON_UNKNOWN', value: last });
      if (frame.includes('{F2}')) entities.push({ type: 'PERSON_UNKNOWN', value: other.first });
      if (frame.includes('{L2}')) entities.push({ type: 'PERSON_UNKNOWN', value: other.last });
      // Some notes arrive decomposed (NFD), as text pasted from macOS does.
      notes.push({
        id: `ho-third-${o.origin}-${i}`,
        lang,
        text: i % 4 === 3 ? text.normalize('NFD') : text,
        entities,
        categories: [],
        clean: false,
        contact: { firstname: 'Greta', lastname: 'Beispielkundin' },
      });
    }
  }

  // 2. The contact's own name, spelled differently in the note than in the CRM (both directions).
  for (let i = 0; i < 48; i++) {
    const p = person();
    const lang: 'de' | 'en' = i % 2 === 0 ? 'de' : 'en';
    const spell = SPELLINGS[i % SPELLINGS.length]!;
    const crmPlain = i % 5 === 4; // the CRM has the plain spelling, the note the original one
    const crm = crmPlain
      ? { firstname: asciiFold(p.first), lastname: asciiFold(p.last) }
      : { firstname: p.first, lastname: p.last };
    const noted = crmPlain
      ? { first: p.first, last: p.last }
      : { first: spell(p.first), last: spell(p.last) };
    const frame = KNOWN_FRAMES[lang][i % KNOWN_FRAMES[lang].length]!;
    const text = fill(frame, { F: noted.first, L: noted.last, H: hon(lang) });
    const entities: CorpusEntity[] = [];
    if (frame.includes('{F}')) entities.push({ type: 'PERSON', value: noted.first });
    if (frame.includes('{L}'))
      for (const part of nameParts(noted.last)) entities.push({ type: 'PERSON', value: part });
    notes.push({ id: `ho-known-${i}`, lang, text, contact: crm, entities, categories: [], clean: false });
  }

  // 3. Structured identifiers and contact details.
  const phones = [
    '+48 601 234 567',
    '+90 532 123 45 67',
    '07700 900123',
    '+353 87 123 4567',
    '+39 347 123 4567',
    '+40 721 234 567',
    '+1 415 555 0132',
    '+30 694 123 4567',
    '+7 916 123-45-67',
    '+380 67 123 4567',
    '0151 23456789',
    '+49 221 9876543',
    '06641234567',
    '+41 78 765 43 21',
    '(0711) 98 76 54',
  ];
  const taxNumbers = () => {
    const f = pick([
      () => `${digitsOf(rnd, 3)}/${digitsOf(rnd, 3)}/${digitsOf(rnd, 5)}`,
      () => `${digitsOf(rnd, 2)}/${digitsOf(rnd, 3)}/${digitsOf(rnd, 5)}`,
      () => `${digitsOf(rnd, 5)}/${digitsOf(rnd, 5)}`,
      () => `0${digitsOf(rnd, 2)} ${digitsOf(rnd, 3)} ${digitsOf(rnd, 5)}`,
      () => `${digitsOf(rnd, 3)}/${digitsOf(rnd, 4)}/${digitsOf(rnd, 4)}`,
      () => `${digitsOf(rnd, 2)}/${digitsOf(rnd, 3)}/${digitsOf(rnd, 3)}/${digitsOf(rnd, 3)}`,
      () => `${digitsOf(rnd, 13)}`,
    ]);
    return f();
  };
  for (let i = 0; i < 96; i++) {
    const p = person();
    const lang: 'de' | 'en' = i % 2 === 0 ? 'de' : 'en';
    const local = `${asciiFold(p.first)}.${asciiFold(p.last)}`.toLowerCase().replace(/[^a-z.]/g, '');
    const kind = i % 8;
    let text: string;
    let entities: CorpusEntity[];
    if (kind === 0) {
      const email =
        i % 16 === 0
          ? `${p.first.toLowerCase()}@beispiel.test`
          : `${local}@${pick(['example.com', 'kunde.test', 'example.org'])}`;
      const phone = pick(phones);
      text =
        lang === 'de' ? `Erreichbar unter ${phone} oder ${email}.` : `Reach her on ${phone} or at ${email}.`;
      entities = [
        { type: 'EMAIL', value: email },
        { type: 'PHONE', value: phone },
      ];
    } else if (kind === 1) {
      const phone = pick(phones);
      text = lang === 'de' ? `Neue Handynummer: ${phone} (ab Montag).` : `New mobile: ${phone}, from Monday.`;
      entities = [{ type: 'PHONE', value: phone }];
    } else if (kind === 2) {
      const iban = pick([
        () => ibanFor('DE', digitsOf(rnd, 18)),
        () => ibanFor('PL', digitsOf(rnd, 24)),
        () => ibanFor('IT', `X${digitsOf(rnd, 10)}${digitsOf(rnd, 12)}`),
        () => ibanFor('RO', `RNCB${digitsOf(rnd, 16)}`),
        () => ibanFor('IE', `AIBK${digitsOf(rnd, 14)}`),
        () => ibanFor('TR', `${digitsOf(rnd, 5)}0${digitsOf(rnd, 16)}`),
        () => ibanFor('AT', digitsOf(rnd, 16)),
      ])();
      text =
        lang === 'de'
          ? `Erstattung bitte auf ${iban} (Privatkonto).`
          : `Refund to ${iban}, her private account.`;
      entities = [{ type: 'IBAN', value: iban }];
    } else if (kind === 3) {
      const body = pick(['4', '51', '55', '22'] as const) + digitsOf(rnd, 13);
      const raw = body.slice(0, 15) + luhnDigit(body.slice(0, 15));
      const card = i % 3 === 0 ? raw : raw.replace(/(.{4})/g, '$1 ').trim();
      text =
        lang === 'de'
          ? `Kreditkarte für die Anzahlung: ${card}, gültig bis 08/27.`
          : `Card for the deposit: ${card}, expires 08/27.`;
      entities = [{ type: 'CARD', value: card }];
    } else if (kind === 4) {
      const id = steuerId(rnd);
      const spaced =
        i % 3 === 0 ? `${id.slice(0, 2)} ${id.slice(2, 5)} ${id.slice(5, 8)} ${id.slice(8)}` : id;
      text =
        lang === 'de'
          ? `Für die Abrechnung: Steuer-IdNr. ${spaced}.`
          : `For payroll: German tax ID ${spaced}.`;
      entities = [{ type: 'TAXID', value: spaced }];
    } else if (kind === 5) {
      const nr = taxNumbers();
      const cue =
        lang === 'de'
          ? pick(['Steuernummer', 'St.-Nr.', 'StNr.', 'Steuer-Nr.'])
          : pick(['tax number', 'German tax no.', 'Steuernummer']);
      text =
        lang === 'de'
          ? `Freiberufler, ${cue} ${nr}, Rechnung ohne USt.`
          : `Freelancer, ${cue} ${nr}, invoice without VAT.`;
      entities = [{ type: 'TAXID', value: nr }];
    } else if (kind === 6) {
      const de = i % 3 !== 0;
      const nr = de ? rvNummer(rnd, asciiFold(p.last)[0]!.toUpperCase()) : atSvNummer(rnd);
      const shown =
        de && i % 2 === 0 ? `${nr.slice(0, 2)} ${nr.slice(2, 8)} ${nr.slice(8, 9)} ${nr.slice(9)}` : nr;
      const cue = de
        ? pick(['Sozialversicherungsnummer', 'SV-Nr.', 'Rentenversicherungsnummer'])
        : pick(['SV-Nummer', 'Sozialversicherungsnummer']);
      text =
        lang === 'de' ? `Für die Anmeldung: ${cue} ${shown}.` : `For the onboarding form: ${cue} ${shown}.`;
      entities = [{ type: 'SSN', value: shown }];
    } else {
      const letters = 'CFGHJKLMNPRTVWXYZ';
      const doc = `${pick(letters.split(''))}${Array.from({ length: 8 }, () => pick((letters + '0123456789').split(''))).join('')}`;
      const cue =
        lang === 'de'
          ? pick(['Ausweisnummer', 'Personalausweis-Nr.', 'Reisepassnummer', 'Passnummer'])
          : pick(['passport number', 'ID card no.', 'passport no.']);
      text =
        lang === 'de'
          ? `Für den Werksausweis braucht der Pförtner die ${cue} ${doc}.`
          : `Site security needs the ${cue} ${doc} for the visitor badge.`;
      entities = [{ type: 'IDDOC', value: doc }];
    }
    notes.push({ id: `ho-id-${i}`, lang, text, entities, categories: [], clean: false });
  }

  // 4. Dates of birth next to a birth cue, every common format.
  const months = {
    de: [
      'Januar',
      'Februar',
      'März',
      'April',
      'Mai',
      'Juni',
      'Juli',
      'August',
      'September',
      'Oktober',
      'November',
      'Dezember',
    ],
    en: [
      'January',
      'February',
      'March',
      'April',
      'May',
      'June',
      'July',
      'August',
      'September',
      'October',
      'November',
      'December',
    ],
  };
  for (let i = 0; i < 28; i++) {
    const lang: 'de' | 'en' = i % 2 === 0 ? 'de' : 'en';
    const d = 1 + Math.floor(rnd() * 28);
    const m = 1 + Math.floor(rnd() * 12);
    const y = 1950 + Math.floor(rnd() * 50);
    const dd = String(d).padStart(2, '0');
    const mm = String(m).padStart(2, '0');
    const forms = [
      `${y}-${mm}-${dd}`,
      `${dd}.${mm}.${y}`,
      `${d}.${m}.${y}`,
      `${dd}/${mm}/${y}`,
      `${d}. ${months.de[m - 1]} ${y}`,
      `${months.en[m - 1]} ${d}, ${y}`,
      `${d} ${months.en[m - 1]} ${y}`,
      `${mm}/${dd}/${y}`,
    ];
    const date = forms[i % forms.length]!;
    const cue =
      lang === 'de'
        ? pick(['Geburtsdatum', 'Geburtsdatum:', 'geb. am', 'geboren am', 'Geb.-Datum', 'Geburtstag ist der'])
        : pick(['date of birth', 'DOB', 'born on', 'birthday:', 'D.O.B.']);
    const text =
      lang === 'de'
        ? `Für die Versicherung: ${cue} ${date}, Unterlagen folgen.`
        : `For the insurance form, ${cue} ${date}; documents to follow.`;
    notes.push({
      id: `ho-dob-${i}`,
      lang,
      text,
      entities: [{ type: 'DOB', value: date }],
      categories: [],
      clean: false,
    });
  }

  // 5. Special categories.
  let c = 0;
  for (const [category, byLang] of Object.entries(CATEGORY_STATEMENTS)) {
    for (const lang of ['de', 'en'] as const) {
      for (const statement of byLang[lang]) {
        const p = person();
        const pronounFirst = /^(?:sie|er|she|he|and)\b/.test(statement);
        const frames =
          lang === 'de'
            ? ['Bitte beachten: {F} {S}.', 'Kurz notiert – {F} {S}.', '{F} {S}; Rückruf nächste Woche.']
            : ['Heads-up: {F} {S}.', 'FYI {F} {S}.', '{F} {S}; call back next week.'];
        const frame =
          pronounFirst && !statement.startsWith('and')
            ? lang === 'de'
              ? 'Info zu {F}: {S}.'
              : 'About {F}: {S}.'
            : frames[c++ % frames.length]!;
        const text = fill(frame, { F: p.first, S: statement });
        notes.push({
          id: `ho-cat-${category}-${lang}-${notes.length}`,
          lang,
          text,
          contact: { firstname: p.first, lastname: p.last },
          entities: [{ type: 'PERSON', value: p.first }],
          categories: [category],
          clean: false,
        });
      }
    }
  }

  // 6. Business text that only looks sensitive, and clean business notes (should stay as they are).
  for (const lang of ['de', 'en'] as const)
    for (const [i, text] of NEAR_MISSES[lang].entries())
      notes.push({ id: `ho-near-${lang}-${i}`, lang, text, entities: [], categories: [], clean: true });
  for (let i = 0; i < 72; i++) {
    const lang: 'de' | 'en' = i % 2 === 0 ? 'de' : 'en';
    const frame = CLEAN_FRAMES[lang][Math.floor(i / 2) % CLEAN_FRAMES[lang].length]!;
    const order = pick([
      `AB-2025-${digitsOf(rnd, 5)}`,
      `PO ${digitsOf(rnd, 10)}`,
      `#${digitsOf(rnd, 6)}`,
      `RE-${digitsOf(rnd, 4)}/25`,
      `${digitsOf(rnd, 4)}-${digitsOf(rnd, 3)}`,
    ]);
    const company = pick(COMPANIES);
    // Every fourth note names the contact's own company: replacing that one is by design.
    const own = i % 4 === 1 ? { company: `${company} ${pick(['GmbH', 'S.A.', 'Ltd', 'AG'])}` } : undefined;
    const text = fill(frame, {
      DATE: pick(BUSINESS_DATES),
      ORDER: order,
      PRODUCT: pick(PRODUCTS),
      COMPANY: own?.company ?? company,
    });
    notes.push({
      id: `ho-clean-${i}`,
      lang,
      text,
      ...(own ? { contact: own } : {}),
      entities: [],
      categories: [],
      clean: true,
    });
  }
  // 7. Second wave (written after the detectors changed): more third parties, statements, near misses.
  for (const lang of ['de', 'en'] as const) {
    for (const [i, frame] of WAVE_2.thirdParty[lang].entries()) {
      for (const o of ORIGINS.filter((_, k) => k % 3 === i)) {
        const first = o.given[(i + 5) % o.given.length]!;
        const last = o.family[(i + 7) % o.family.length]!;
        const entities: CorpusEntity[] = [];
        if (frame.includes('{F}')) entities.push({ type: 'PERSON_UNKNOWN', value: first });
        if (frame.includes('{L}')) entities.push({ type: 'PERSON_UNKNOWN', value: last });
        notes.push({
          id: `ho2-third-${lang}-${i}-${o.origin}`,
          lang,
          text: fill(frame, { F: first, L: last, H: hon(lang) }),
          entities,
          categories: [],
          clean: false,
        });
      }
    }
    for (const [category, byLang] of Object.entries(WAVE_2.statements)) {
      for (const [i, statement] of byLang[lang].entries()) {
        const p = person();
        notes.push({
          id: `ho2-cat-${category}-${lang}-${i}`,
          lang,
          text: `${p.first} ${statement}.`,
          contact: { firstname: p.first, lastname: p.last },
          entities: [{ type: 'PERSON', value: p.first }],
          categories: [category],
          clean: false,
        });
      }
    }
    for (const [i, text] of WAVE_2.nearMisses[lang].entries())
      notes.push({ id: `ho2-near-${lang}-${i}`, lang, text, entities: [], categories: [], clean: true });
  }
  return notes;
}

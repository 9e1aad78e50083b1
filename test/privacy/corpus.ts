import { Faker, de, de_AT, de_CH, en, base } from '@faker-js/faker';

/**
 * The labelled privacy corpus: invented CRM notes in German and English, made reproducibly (fixed
 * seeds) from faker's de/en locales plus hand-written hard cases. Every personal value it contains is
 * labelled, so the evaluation can say exactly what leaked. E-mail domains are example.com/.test only.
 */
export interface CorpusEntity {
  type:
    | 'PERSON'
    | 'PERSON_UNKNOWN_HONORIFIC'
    | 'PERSON_UNKNOWN'
    | 'EMAIL'
    | 'PHONE'
    | 'IBAN'
    | 'CARD'
    | 'TAXID'
    | 'SSN'
    | 'IDDOC'
    | 'DOB'
    | 'ADDRESS'
    | 'IP'
    | 'URL';
  value: string;
}

export interface CorpusNote {
  id: string;
  lang: 'de' | 'en';
  text: string;
  contact?: Record<string, string>;
  entities: CorpusEntity[];
  categories: string[];
  /** Clean business text: should come out unchanged. */
  clean: boolean;
}

const fakerDe = new Faker({ locale: [de, de_AT, de_CH, base] });
const fakerEn = new Faker({ locale: [en, base] });

function ibanFor(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const d of rearranged) rem = (rem * 10 + Number(d)) % 97;
  const check = String(98 - rem).padStart(2, '0');
  return `${country}${check}${bban}`.replace(/(.{4})/g, '$1 ').trim();
}

function luhnComplete(prefix: string, length: number, rnd: () => number): string {
  let digits = prefix;
  while (digits.length < length - 1) digits += String(Math.floor(rnd() * 10));
  for (let c = 0; c <= 9; c++) {
    const candidate = digits + c;
    let sum = 0;
    let dbl = false;
    for (let i = candidate.length - 1; i >= 0; i--) {
      let d = Number(candidate[i]);
      if (dbl) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
      dbl = !dbl;
    }
    if (sum % 10 === 0) return candidate.replace(/(.{4})/g, '$1 ').trim();
  }
  throw new Error('unreachable');
}

function taxId(rnd: () => number): string {
  for (;;) {
    const digits = [1 + Math.floor(rnd() * 9)];
    while (digits.length < 10) digits.push(Math.floor(rnd() * 10));
    const counts = new Map<number, number>();
    for (const d of digits) counts.set(d, (counts.get(d) ?? 0) + 1);
    const repeated = [...counts.values()].filter((n) => n > 1);
    if (repeated.length !== 1 || repeated[0]! > 3) continue;
    let product = 10;
    for (const d of digits) {
      let sum = (d + product) % 10;
      if (sum === 0) sum = 10;
      product = (sum * 2) % 11;
    }
    let check = 11 - product;
    if (check === 10) check = 0;
    return digits.join('') + check;
  }
}

/** A Rentenversicherungsnummer with a valid check digit: area, birth date, initial, serial, check. */
function ssn(rnd: () => number, birth: Date, initial: string): string {
  const dd = String(birth.getUTCDate()).padStart(2, '0');
  const mm = String(birth.getUTCMonth() + 1).padStart(2, '0');
  const yy = String(birth.getUTCFullYear() % 100).padStart(2, '0');
  const head = `${String(10 + Math.floor(rnd() * 80))}${dd}${mm}${yy}`;
  const serial = String(Math.floor(rnd() * 50)).padStart(2, '0');
  const digits = head + String(initial.charCodeAt(0) - 64).padStart(2, '0') + serial;
  const weights = [2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1];
  let sum = 0;
  for (let i = 0; i < 12; i++) {
    const p = Number(digits[i]) * weights[i]!;
    sum += Math.floor(p / 10) + (p % 10);
  }
  return `${head.slice(0, 2)} ${head.slice(2)} ${initial} ${serial}${sum % 10}`;
}

const PHONE_FORMATS_DE = [
  (a: string, n: string) => `+49 ${a} ${n}`,
  (a: string, n: string) => `0${a} ${n}`,
  (a: string, n: string) => `0${a}/${n}`,
  (a: string, n: string) => `+49 (0)${a} ${n.slice(0, 4)} ${n.slice(4)}`,
  (a: string, n: string) => `0049 ${a} ${n}`,
  (a: string, n: string) => `(0${a}) ${n}`,
  (a: string, n: string) => `+49-${a}-${n}`,
  (a: string, n: string) => `0${a}-${n.slice(0, 3)} ${n.slice(3)}`,
  (a: string, n: string) => `+49${a}${n}`,
];
const INTERNATIONAL = [
  '+43 1 5876543',
  '+43 664 1234567',
  '+41 44 668 18 00',
  '+41 79 123 45 67',
  '+44 20 7946 0958',
  '+33 1 42 68 53 00',
  '+31 20 794 0958',
  '0043 1 5876543',
  '+1 202 555 0143',
];
const AREAS = ['30', '40', '89', '221', '69', '711', '351', '171', '151', '160', '176', '341', '511', '911'];

const HEALTH = {
  de: [
    'ist nach einer Knie-OP noch in der Reha',
    'hat eine Krebserkrankung und bittet um Geduld',
    'ist wegen Depression krankgeschrieben',
    'liegt nach einem Herzinfarkt im Krankenhaus',
    'ist schwanger und ab Juni in Mutterschutz',
    'hat Diabetes, Termine nur vormittags',
    'nach Bandscheibenvorfall arbeitsunfähig',
    'hat einen Arzttermin beim Facharzt',
  ],
  en: [
    'is recovering from surgery',
    'was diagnosed with cancer last month',
    'is on sick leave with depression',
    'is in hospital after a heart attack',
    'is pregnant and going on leave',
    'has a chronic illness, mornings only',
    'is on medication and prefers short calls',
  ],
};
const CATEGORY_PHRASES: Record<string, { de: string[]; en: string[] }> = {
  health: HEALTH,
  religion: {
    de: [
      'ist aktiv in der katholischen Kirchengemeinde',
      'fastet im Ramadan, bitte nachmittags',
      'geht freitags in die Moschee',
      'ist Mitglied einer Freikirche',
    ],
    en: [
      'is a practising Catholic',
      'observes the Sabbath, no Friday evenings',
      'is busy at the mosque on Fridays',
      'goes to church every Sunday',
    ],
  },
  political: {
    de: [
      'ist Parteimitglied der SPD',
      'ist CDU-Mitglied und im Stadtrat',
      'hat eine klare politische Einstellung, bitte neutral bleiben',
    ],
    en: ['is a party member of the Greens', 'has strong political views', 'campaigns for the Labour party'],
  },
  trade_union: {
    de: [
      'ist im Betriebsrat und Gewerkschaftsmitglied',
      'ist bei der IG Metall organisiert',
      'engagiert sich bei ver.di',
    ],
    en: ['is a trade union member', 'is the union rep at the plant', 'is a shop steward'],
  },
  ethnic_origin: {
    de: ['ist türkischer Herkunft und spricht auch Türkisch', 'hat einen Migrationshintergrund'],
    en: ['is of Turkish descent', 'mentioned her ethnic background'],
  },
  sex_life: {
    de: ['ist homosexuell und mit einem Mann verheiratet', 'lebt in einer lesbischen Partnerschaft'],
    en: ['is gay and mentioned his husband', 'talked about her sexual orientation'],
  },
  genetic: {
    de: ['hat einen Gentest machen lassen', 'hat eine Erbkrankheit in der Familie'],
    en: ['took a genetic test', 'mentioned a hereditary condition'],
  },
  biometric: {
    de: ['will keine Fingerabdruck-Anmeldung', 'fragt nach Gesichtserkennung für den Zugang'],
    en: ['refuses fingerprint login', 'asked about facial recognition at the gate'],
  },
  financial: {
    de: [
      'hat Schulden und einen Schufa-Eintrag',
      'ist in Privatinsolvenz',
      'Jahresgehalt von 85.000 Euro erwähnt',
    ],
    en: ['mentioned his debt problems', 'has a poor credit score', 'told us her annual income'],
  },
};

const CLEAN = {
  de: [
    'Interesse an drei Fräsmaschinen, Angebot bis Monatsende.',
    'Rückruf wegen Wartungsvertrag gewünscht, am besten vormittags.',
    'Kunde aus der Gesundheitsbranche fragt nach Lieferzeiten für Ersatzteile.',
    'Ausschreibung für ein Krankenhaus-IT-Projekt, Unterlagen folgen.',
    'Möchte die Preise für das Apple Pencil Bundle vergleichen.',
    'Deutsche Bank als Referenzkunde genannt, Angebot anpassen.',
    'Termin für eine Produktdemo in KW 12 abstimmen.',
    'Fragt nach Rabatt bei Abnahme von 500 Stück.',
    'Wartung der Anlage im Werk Nord ist überfällig.',
    'Möchte die Bankverbindung als Thema im Vertrag klären lassen.',
    'Bitte Angebot für Schulungen im zweiten Quartal senden.',
    'Vertrag läuft im Dezember aus, Verlängerung besprechen.',
    'Ersatzteilkatalog 2026 wurde angefragt.',
    'Interesse an Leasing statt Kauf.',
    'Lieferung nach Hamburg verschoben, neuen Termin finden.',
    'Frau Holle Bäckerei GmbH bestellt 40 Backbleche.',
    'Robert Bosch GmbH wurde als Wettbewerber genannt.',
    'Das Max Planck Institut fragt nach Laborgeräten.',
    'Software-Version 2.4.1.7 ist installiert, Update auf 2.5 geplant.',
    'Rechnung 2026-0042 vom 12.03.2026 ist bezahlt.',
    'Neue Bankverbindung der Firma für die Buchhaltung hinterlegen.',
    'Fuhrpark: zwei Mercedes Benz Sprinter, Angebot für Wartung.',
  ],
  en: [
    'Interested in three CNC machines, quote by end of month.',
    'Wants a call about the maintenance contract, mornings preferred.',
    'Customer in the healthcare industry asks about spare part lead times.',
    'Tender for a hospital software project, documents to follow.',
    'Comparing prices for the Apple Pencil bundle.',
    'Named Deutsche Bank as a reference customer.',
    'Schedule a product demo in week 12.',
    'Asks for a discount on 500 units.',
    'Contract expires in December, discuss renewal.',
    'Requested the 2026 spare parts catalogue.',
    'Interested in leasing instead of buying.',
    'Delivery to Hamburg postponed, find a new date.',
    'Robert Bosch GmbH was named as a competitor.',
    'Runs firmware version 3.1.0.12, asks about the upgrade.',
    'Invoice 2026-0042 dated 12.03.2026 is paid.',
    'Our partner Hugo Boss AG asks for a second quote.',
  ],
};

/** Hand-written hard cases: spaced numbers, umlaut variants, names inside lists, company look-alikes. */
const HARD: CorpusNote[] = [
  {
    id: 'hard-1',
    lang: 'de',
    text: 'Herr Müller-Lüdenscheidt (Tel. +49 (0) 30 123 456 78) bittet um Rückruf, auch Frau Dr. Schäfer ist dabei.',
    entities: [
      { type: 'PERSON_UNKNOWN_HONORIFIC', value: 'Müller-Lüdenscheidt' },
      { type: 'PHONE', value: '+49 (0) 30 123 456 78' },
      { type: 'PERSON_UNKNOWN_HONORIFIC', value: 'Schäfer' },
    ],
    categories: [],
    clean: false,
  },
  {
    id: 'hard-2',
    lang: 'de',
    text: 'Meeting mit Anna und Jonas am Dienstag, Rückfragen an 0171 / 234 56 78.',
    entities: [
      { type: 'PERSON_UNKNOWN', value: 'Anna' },
      { type: 'PERSON_UNKNOWN', value: 'Jonas' },
      { type: 'PHONE', value: '0171 / 234 56 78' },
    ],
    categories: [],
    clean: false,
  },
  {
    id: 'hard-3',
    lang: 'en',
    text: "Call Mr. O'Brien on +44 20 7946 0958 or mail obrien@example.com.",
    entities: [
      { type: 'PERSON_UNKNOWN_HONORIFIC', value: "O'Brien" },
      { type: 'PHONE', value: '+44 20 7946 0958' },
      { type: 'EMAIL', value: 'obrien@example.com' },
    ],
    categories: [],
    clean: false,
  },
  {
    id: 'hard-4',
    lang: 'de',
    text: 'Frau Muenchhausen (bekannt als Frau Münchhausen) zahlt per IBAN DE89 3704 0044 0532 0130 00.',
    contact: { firstname: 'Greta', lastname: 'Münchhausen' },
    entities: [
      { type: 'PERSON', value: 'Muenchhausen' },
      { type: 'PERSON', value: 'Münchhausen' },
      { type: 'IBAN', value: 'DE89 3704 0044 0532 0130 00' },
    ],
    categories: [],
    clean: false,
  },
  {
    id: 'hard-5',
    lang: 'de',
    text: 'Anna Schmidt GmbH und Frau Holle Bäckerei KG sind Kunden, keine Personen.',
    entities: [],
    categories: [],
    clean: true,
  },
  {
    id: 'hard-6',
    lang: 'de',
    text: 'G. Beispielfrau hat die Unterlagen, Kontakt über g.beispielfrau@example.com.',
    contact: { firstname: 'Greta', lastname: 'Beispielfrau', email: 'g.beispielfrau@example.com' },
    entities: [
      { type: 'PERSON', value: 'Beispielfrau' },
      { type: 'EMAIL', value: 'g.beispielfrau@example.com' },
    ],
    categories: [],
    clean: false,
  },
  {
    id: 'hard-7',
    lang: 'en',
    text: 'Phone +41 79 123 45 67 (mobile), office +41 44 668 18 00.',
    entities: [
      { type: 'PHONE', value: '+41 79 123 45 67' },
      { type: 'PHONE', value: '+41 44 668 18 00' },
    ],
    categories: [],
    clean: false,
  },
  {
    id: 'hard-8',
    lang: 'de',
    text: 'Mobil: 0043 664 1234567, Büro Wien +43 1 5876543.',
    entities: [
      { type: 'PHONE', value: '0043 664 1234567' },
      { type: 'PHONE', value: '+43 1 5876543' },
    ],
    categories: [],
    clean: false,
  },
];

function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

export function buildCorpus(size = 600): CorpusNote[] {
  fakerDe.seed(20261122);
  fakerEn.seed(20261122);
  const rnd = rng(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const notes: CorpusNote[] = [...HARD];
  for (let i = 0; notes.length < size; i++) {
    const lang: 'de' | 'en' = rnd() < 0.6 ? 'de' : 'en';
    const f = lang === 'de' ? fakerDe : fakerEn;
    const kind = i % 14;
    const first = f.person.firstName();
    const last = f.person.lastName().replace(/\s.*/, '');
    const email =
      `${first}.${last}`
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z.]/g, '') + `@${pick(['example.com', 'example.org', 'firma.test'])}`;
    const phone =
      rnd() < 0.7
        ? pick(PHONE_FORMATS_DE)(pick(AREAS), String(1000000 + Math.floor(rnd() * 8999999)))
        : pick(INTERNATIONAL);
    const id = `gen-${i}`;
    if (kind <= 1) {
      notes.push({ id, lang, clean: true, entities: [], categories: [], text: pick(CLEAN[lang]) });
    } else if (kind === 2) {
      // Known values from the CRM, in varied spellings.
      const text =
        lang === 'de'
          ? `${first} ${last} hat angerufen: Rückruf unter ${phone} erbeten. ${last.toUpperCase()} ist erreichbar über ${email}.`
          : `${first} ${last} called: please ring back on ${phone}. ${last} can be reached at ${email}.`;
      notes.push({
        id,
        lang,
        clean: false,
        text,
        contact: { firstname: first, lastname: last, email, phone },
        categories: [],
        entities: [
          { type: 'PERSON', value: last },
          { type: 'PERSON', value: first },
          { type: 'PHONE', value: phone },
          { type: 'EMAIL', value: email },
        ],
      });
    } else if (kind === 3) {
      const hon =
        lang === 'de'
          ? pick(['Herr', 'Frau', 'Herrn', 'Dr.', 'Frau Dr.'])
          : pick(['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Mr']);
      const text =
        lang === 'de'
          ? `${hon} ${last} möchte ein Angebot, bitte unter ${phone} melden.`
          : `${hon} ${last} wants a quote, please call ${phone}.`;
      notes.push({
        id,
        lang,
        clean: false,
        text,
        categories: [],
        entities: [
          { type: 'PERSON_UNKNOWN_HONORIFIC', value: last },
          { type: 'PHONE', value: phone },
        ],
      });
    } else if (kind === 4) {
      const text =
        lang === 'de'
          ? `Termin mit ${first} ${last} am Dienstag, Rückfragen an ${email}.`
          : `Meeting with ${first} ${last} on Tuesday, questions to ${email}.`;
      notes.push({
        id,
        lang,
        clean: false,
        text,
        categories: [],
        entities: [
          { type: 'PERSON_UNKNOWN', value: last },
          { type: 'EMAIL', value: email },
        ],
      });
    } else if (kind === 5) {
      const iban = pick([
        ibanFor(
          'DE',
          String(10000000 + Math.floor(rnd() * 89999999)) +
            String(1000000000 + Math.floor(rnd() * 8999999999)),
        ),
        ibanFor(
          'AT',
          String(10000 + Math.floor(rnd() * 89999)) + String(10000000000 + Math.floor(rnd() * 89999999999)),
        ),
      ]);
      const card = luhnComplete(pick(['4', '51', '37']), 16, rnd);
      const text =
        lang === 'de'
          ? `Zahlung per Überweisung auf ${iban}, alternativ Karte ${card}.`
          : `Payment to ${iban}, or card ${card}.`;
      notes.push({
        id,
        lang,
        clean: false,
        text,
        categories: ['financial'],
        entities: [
          { type: 'IBAN', value: iban },
          { type: 'CARD', value: card },
        ],
      });
    } else if (kind === 6) {
      const tid = taxId(rnd);
      const text = lang === 'de' ? `Steuer-ID für die Rechnung: ${tid}.` : `Tax ID for the invoice: ${tid}.`;
      notes.push({ id, lang, clean: false, text, categories: [], entities: [{ type: 'TAXID', value: tid }] });
    } else if (kind === 10) {
      const birth = f.date.birthdate({ mode: 'age', min: 20, max: 70 });
      const dob = `${String(birth.getUTCDate()).padStart(2, '0')}.${String(birth.getUTCMonth() + 1).padStart(2, '0')}.${birth.getUTCFullYear()}`;
      const street = `${fakerDe.location.street()} ${fakerDe.location.buildingNumber()}`;
      const zip = fakerDe.location.zipCode('#####');
      const city = fakerDe.location.city();
      const text =
        lang === 'de'
          ? `Neue Lieferadresse: ${street}, ${zip} ${city}. Kundin ist geb. ${dob}.`
          : `New delivery address: ${street}, ${zip} ${city}. Date of birth: ${dob}.`;
      notes.push({
        id,
        lang,
        clean: false,
        text,
        categories: [],
        entities: [
          { type: 'ADDRESS', value: street },
          { type: 'ADDRESS', value: zip },
          { type: 'DOB', value: dob },
        ],
      });
    } else if (kind === 11) {
      const birth = f.date.birthdate({ mode: 'age', min: 20, max: 70 });
      const nr = ssn(rnd, birth, last[0]!.toUpperCase().replace(/[^A-Z]/, 'M'));
      const ip = pick([
        `192.0.2.${1 + Math.floor(rnd() * 250)}`,
        `198.51.100.${1 + Math.floor(rnd() * 250)}`,
        `2001:db8::${Math.floor(rnd() * 9000 + 1000).toString(16)}`,
      ]);
      const text =
        lang === 'de'
          ? `Rentenversicherungsnummer ${nr} für die Lohnabrechnung; Login kam von ${ip}.`
          : `Social insurance number ${nr} for payroll; the login came from ${ip}.`;
      notes.push({
        id,
        lang,
        clean: false,
        text,
        categories: [],
        entities: [
          { type: 'SSN', value: nr },
          { type: 'IP', value: ip },
        ],
      });
    } else if (kind === 12) {
      const slug = `${first}-${last}`
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z-]/g, '');
      const url = pick([
        `https://www.linkedin.com/in/${slug}-${Math.floor(rnd() * 900 + 100)}`,
        `https://www.xing.com/profile/${slug.replace('-', '_')}`,
        `mailto:${email}`,
      ]);
      const other = f.person.firstName();
      const text =
        lang === 'de'
          ? `Profil: ${url} – Workshop mit ${first} und ${other} geplant.`
          : `Profile: ${url} – workshop with ${first} and ${other} planned.`;
      notes.push({
        id,
        lang,
        clean: false,
        text,
        categories: [],
        entities: [
          { type: 'URL', value: url.replace(/^mailto:/, '') },
          { type: 'PERSON_UNKNOWN', value: first },
          { type: 'PERSON_UNKNOWN', value: other },
        ],
      });
    } else if (kind === 13) {
      // Double-barrelled surnames after an honorific, and a known name in the genitive.
      const second = f.person.lastName().replace(/\s.*/, '');
      const hon = lang === 'de' ? pick(['Herr', 'Frau', 'Herrn', 'Frau Prof.']) : pick(['Mr', 'Ms', 'Dr.']);
      const text =
        lang === 'de'
          ? `${hon} ${last}-${second} hat ${first}s Angebot weitergeleitet.`
          : `${hon} ${last}-${second} forwarded ${first}'s offer.`;
      notes.push({
        id,
        lang,
        clean: false,
        text,
        contact: { firstname: first, lastname: 'Beispiel' },
        categories: [],
        entities: [
          { type: 'PERSON_UNKNOWN_HONORIFIC', value: `${last}-${second}` },
          { type: 'PERSON', value: first },
        ],
      });
    } else {
      const category = pick(Object.keys(CATEGORY_PHRASES));
      const phrase = pick(CATEGORY_PHRASES[category]![lang]);
      const text =
        lang === 'de' ? `Rückruf gewünscht. ${first} ${phrase}.` : `Callback requested. ${first} ${phrase}.`;
      notes.push({
        id,
        lang,
        clean: false,
        text,
        contact: { firstname: first, lastname: last },
        categories: [category],
        entities: [{ type: 'PERSON', value: first }],
      });
    }
  }
  return notes;
}

/**
 * Invented contacts for the chaos run (example.com addresses, made-up surnames), seeded into the
 * HubSpot simulator, and the index that finds any of their personal values in a log line or an LLM
 * request.
 */
export type ChaosContactKind = 'callback' | 'lead' | 'opted_out' | 'health' | 'religion';

export interface ChaosContact {
  id: string;
  kind: ChaosContactKind;
  properties: Record<string, string>;
}

const FIRST_NAMES = [
  'Annika',
  'Bernd',
  'Carola',
  'Dietmar',
  'Elfriede',
  'Friedhelm',
  'Gesine',
  'Hartmut',
  'Ilona',
  'Joachim',
  'Karoline',
  'Lothar',
  'Margit',
  'Norbert',
  'Ottilie',
  'Reinhold',
  'Sieglinde',
  'Torsten',
  'Ulrike',
  'Waltraud',
  'Harriet',
  'Desmond',
  'Imogen',
  'Rupert',
];
const SURNAME_A = ['Kessel', 'Brunn', 'Hage', 'Lind', 'Morgen', 'Stein', 'Wald', 'Feld', 'Rosen', 'Tann'];
const SURNAME_B = ['ack', 'ib', 'or', 'ul', 'ew', 'ist', 'ump', 'erl', 'ogg', 'ax'];
const SURNAME_C = ['berg', 'mann', 'hoff', 'ler', 'ried', 'stedt', 'kamp', 'hausen'];
const CALLBACK_NOTES_DE = [
  'Bitte Rückruf wegen Angebot für zwei Förderbänder, gern vormittags.',
  'Möchte über die Wartungsverträge sprechen, nachmittags erreichbar.',
  'Rückruf wegen Lieferzeiten, am besten Dienstag.',
];
const CALLBACK_NOTES_EN = [
  'Asked for a call about the service contract, mornings preferred.',
  'Wants to discuss delivery times for the next quarter.',
];
const LEAD_MESSAGES = [
  'Interesse an einer Demo für unser Lager.',
  'Wir suchen eine Lösung für die Tourenplanung.',
];

/** A small seeded generator (mulberry32): the same seed gives the same contacts and schedule. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OWNERS = ['9001', '9002'];

/** About 5% opted out, 3% with a health note (local model), 2% with a religion note (blocked), 20% new leads. */
export function chaosContacts(count: number, seed: number): ChaosContact[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const contacts: ChaosContact[] = [];
  for (let i = 0; i < count; i++) {
    const id = String(20_001 + i);
    const roll = random();
    const kind: ChaosContactKind =
      roll < 0.05
        ? 'opted_out'
        : roll < 0.08
          ? 'health'
          : roll < 0.1
            ? 'religion'
            : roll < 0.3
              ? 'lead'
              : 'callback';
    const firstname = pick(FIRST_NAMES);
    const lastname = `${pick(SURNAME_A)}${pick(SURNAME_B)}${pick(SURNAME_C)}`;
    const english = kind === 'callback' && random() < 0.3;
    const properties: Record<string, string> = {
      firstname,
      lastname,
      email: `${firstname}.${lastname}.${i}@example.com`.toLowerCase(),
      salutation: english ? 'Ms' : random() < 0.5 ? 'Frau' : 'Herr',
      hs_language: english ? 'en' : 'de',
      company: `${pick(SURNAME_A)} Technik GmbH`,
      // A distinctive 8-digit run per contact, so a leaked number is found as one token.
      phone: `+49 30 77${String(100_000 + i).slice(-6)}`,
      hubspot_owner_id: OWNERS[i % OWNERS.length]!,
    };
    if (kind === 'lead') properties.message = pick(LEAD_MESSAGES);
    else
      properties.callback_notes =
        kind === 'health'
          ? 'Ist nach einer Knieoperation noch krankgeschrieben, Rückruf erst nächste Woche.'
          : kind === 'religion'
            ? 'Bitte nicht freitags anrufen, sie ist in der Synagoge engagiert.'
            : english
              ? pick(CALLBACK_NOTES_EN)
              : pick(CALLBACK_NOTES_DE);
    if (kind === 'opted_out') properties.draftbridge_opt_out = 'true';
    contacts.push({ id, kind, properties });
  }
  return contacts;
}

/**
 * Finds personal values (first and last names, e-mail addresses, phone numbers) in text by whole
 * tokens: one pass over the text whatever the number of contacts.
 */
export class PersonalValueIndex {
  private readonly names = new Set<string>();
  private readonly emails = new Set<string>();
  private readonly phones = new Set<string>();

  add(values: {
    firstname?: string | undefined;
    lastname?: string | undefined;
    email?: string | undefined;
    phone?: string | undefined;
  }): void {
    if (values.firstname) this.names.add(values.firstname);
    if (values.lastname) this.names.add(values.lastname);
    if (values.email) this.emails.add(values.email.toLowerCase());
    if (values.phone) {
      this.phones.add(values.phone.replace(/\D/g, ''));
      const last = values.phone.split(/\s+/).at(-1);
      if (last && last.length >= 6) this.phones.add(last);
    }
  }

  /** The kinds of personal value found (never the values: this result may be printed). */
  scan(text: string): ('name' | 'email' | 'phone')[] {
    const found: ('name' | 'email' | 'phone')[] = [];
    for (const raw of text.split(/[^\p{L}\p{N}@._+-]+/u)) {
      if (raw.length < 3) continue;
      const token = raw.replace(/^[._+-]+|[._+-]+$/g, '');
      if (this.names.has(token)) found.push('name');
      else if (token.includes('@') && this.emails.has(token.toLowerCase())) found.push('email');
      else if (/^\+?\d{6,}$/.test(token) && this.phones.has(token.replace(/\D/g, ''))) found.push('phone');
    }
    return found;
  }
}

import type { Language, Policy, SensitiveCategory } from '../policy.ts';
import { ibanValid } from './recognisers.ts';

/**
 * Special categories (Art. 9 GDPR) and financial data in German and English CRM notes. Stems match
 * inside German compounds ("Krebserkrankung", "Gewerkschaftsmitglied"); business topics that only
 * look sensitive ("Gesundheitsbranche", "Krankenhaus-IT") are masked first. The policy decides what
 * happens: block, route to the local model, or redact.
 */
export interface SensitiveSpan {
  category: SensitiveCategory;
  start: number;
  end: number;
}

// Start of a word (stems may continue into compounds). Latin letters only: a non-unicode regex is much faster.
const B = '(?<![A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F])';

const LEXICON: Record<SensitiveCategory, string> = {
  health: [
    'krank(?!enhaus-?(?:it|software|projekt|verwaltung|kunde))', 'erkrank', 'krebs', 'tumor', 'diagnos', 'therapie', 'chemo', 'operiert', 'operation(?:stermin)?\\b',
    'op-termin', 'reha\\b', 'rehabilitation', 'kur\\b', 'arztbesuch', 'arzttermin', 'facharzt', 'depressi', 'burn-?out', 'schwanger', 'diabet',
    'herzinfarkt', 'schlaganfall', 'bandscheib', 'allergi', 'medikament', 'behinderung', 'schwerbehindert', 'arbeitsunfähig', 'psychisch', 'psychiat',
    'psychotherap', 'klinikaufenthalt', 'im krankenhaus', 'ins krankenhaus', 'gesundheitlich', 'gesundheitszustand', 'corona-?infiziert', 'covid-?(?:erkrank|infiz|positiv)',
    'sick', 'illness', 'cancer', 'surgery', 'in hospital', 'hospitali[sz]ed', 'diagnosed', 'therapy', 'pregnan', 'disabilit', 'disabled', 'medication',
    'chronic', 'depression', 'anxiety disorder', 'health (?:issue|problem|condition|reasons)', 'medical (?:leave|condition|treatment)', 'sick leave', 'stroke\\b', 'heart attack',
  ].join('|'),
  religion: [
    'religi', 'kirchlich', 'kirchenaustritt', 'kirchengemeinde', 'katholisch', 'evangelisch', 'muslim', 'moslem', 'islam', 'jüdisch', 'jude\\b', 'juden\\b',
    'christlich', 'christin\\b', 'buddhis', 'hinduis', 'moschee', 'synagoge', 'ramadan', 'konfession', 'atheist', 'gottesdienst', 'zeugen jehovas', 'freikirch',
    'church', 'catholic', 'protestant', 'jewish', 'mosque', 'synagogue', 'his faith', 'her faith', 'prayer', 'sabbath', 'kosher', 'halal',
  ].join('|'),
  political: [
    'parteimitglied', 'parteibuch', 'mitglied (?:der|bei der) (?:cdu|csu|spd|afd|fdp|grünen|linken|partei)', '(?:cdu|csu|spd|afd|fdp)-(?:mitglied|politiker|wähler|ortsverein)',
    'wählt (?:die )?(?:cdu|csu|spd|afd|fdp|grüne|linke)', 'politische (?:einstellung|überzeugung|gesinnung|meinung)', 'politisch engagiert', 'wahlkampf', 'stadtrat für die', 'demonstration gegen',
    'political (?:view|opinion|belief|affiliation)', 'party member', 'member of the (?:labour|conservative|green|democratic|republican)', 'votes? (?:labour|tory|conservative|democrat|republican)', 'campaigns? for the',
  ].join('|'),
  trade_union: ['gewerkschaft', 'ver\\.di', 'verdi-mitglied', 'ig metall', 'ig bce', 'betriebsrat', 'dgb-', 'streik', 'trade union', 'labou?r union', 'union member', 'union rep', 'shop steward', 'on strike'].join('|'),
  ethnic_origin: ['ethnisch', 'ethnie', 'migrationshintergrund', 'hautfarbe', 'rassis', 'abstammung', 'sinti', 'roma\\b', 'ethnic', 'ethnicity', 'skin colou?r', 'racial', 'of (?:african|asian|arab|turkish|kurdish) (?:descent|origin)', '(?:türkischer|kurdischer|arabischer|afrikanischer) (?:herkunft|abstammung)'].join('|'),
  sex_life: ['sexuell', 'sexualität', 'homosexu', 'schwul', 'lesbisch', 'bisexu', 'transgender', 'transsexu', 'queer', 'lgbt', 'sexual orientation', 'gay\\b', 'lesbian', 'coming-?out', 'geschlechtsangleich'].join('|'),
  genetic: ['genetisch', 'gentest', 'erbkrank', 'dna-', 'dna\\b', 'genom', 'genetic', 'hereditary', 'gene test', 'brca'].join('|'),
  biometric: ['biometri', 'fingerabdr', 'gesichtserkennung', 'iris-?scan', 'stimmprofil', 'fingerprint', 'facial recognition', 'face id\\b', 'retina scan', 'voiceprint'].join('|'),
  financial: [
    'kontonummer', 'bankverbindung:', 'kreditkarten-?nummer', 'schulden', 'verschuldet', 'insolvenz', 'privatinsolvenz', 'pfändung', 'schufa', 'bonität', 'mahnbescheid', 'inkasso',
    'gehalt\\b', 'gehalt von', 'jahresgehalt', 'einkommen', 'vermögen', 'kreditwürdig', 'zahlungsunfähig', 'überschuldet', 'dispo',
    'account number', 'credit card number', 'debt', 'bankrupt', 'insolvenc', 'credit score', 'salary', 'income of', 'annual income', 'overdraft', 'foreclos', 'garnish',
  ].join('|'),
};

// One pass over the text for all categories: a named group per category tells which one matched.
const CATEGORY_ORDER = Object.keys(LEXICON) as SensitiveCategory[];
const ALL_CATEGORIES = new RegExp(`${B}(?:${CATEGORY_ORDER.map((c) => `(?<${c}>${LEXICON[c]})`).join('|')})`, 'gi');

// Business topics that contain a sensitive stem but say nothing about a person.
const BUSINESS_TOPICS = /\b(?:gesundheits(?:branche|wesen|markt|sektor|ministerium|amt|app|plattform)|kranken(?:kasse|versicherung|haus(?:-?it|software|projekt|kette|betreiber|verwaltung)?)(?:n)?(?:kunde|projekt|software|ausschreibung)?|klinik(?:um|en|kette|betreiber|software)|healthcare (?:industry|sector|market|software|it|provider|customer)|hospital (?:software|it|project|group|chain)|medizintechnik|medtech|pharma(?:branche|kunde|unternehmen)?|kirchliche[rn]? (?:träger|einrichtung)|church (?:charity|organisation)|streikposten-?app)\b/gi;

const IBAN_LIKE = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b/g;

export function classifySensitive(text: string, _lang?: Language): { categories: SensitiveCategory[]; spans: SensitiveSpan[] } {
  if (!text) return { categories: [], spans: [] };
  const masked = text.replace(BUSINESS_TOPICS, (m) => ' '.repeat(m.length));
  const spans: SensitiveSpan[] = [];
  for (const m of masked.matchAll(ALL_CATEGORIES)) {
    const category = CATEGORY_ORDER.find((c) => m.groups![c] !== undefined)!;
    spans.push({ category, start: m.index, end: m.index + m[0].length });
  }
  for (const m of text.matchAll(IBAN_LIKE)) if (ibanValid(m[0])) spans.push({ category: 'financial', start: m.index, end: m.index + m[0].length });
  const categories = [...new Set(spans.map((s) => s.category))];
  return { categories, spans: spans.sort((a, b) => a.start - b.start) };
}

export type SensitiveDecision = { action: 'none' | 'block' | 'local' | 'redact'; categories: SensitiveCategory[] };

const STRENGTH = { none: 0, redact: 1, local: 2, block: 3 } as const;

/** The strongest action among the found categories wins: block > local > redact > none. */
export function decideSensitive(categories: SensitiveCategory[], policy: Pick<Policy, 'sensitive'>): SensitiveDecision {
  let action: SensitiveDecision['action'] = 'none';
  for (const c of categories) {
    const a = policy.sensitive[c] ?? 'block'; // an unconfigured category is the most cautious
    if (STRENGTH[a] > STRENGTH[action]) action = a;
  }
  return { action, categories };
}

/** Replaces every sentence that carries a sensitive span with a neutral marker. */
export function redactSensitive(text: string, spans: SensitiveSpan[]): string {
  if (spans.length === 0) return text;
  const sentences: [number, number][] = [];
  for (const s of spans) {
    let start = s.start;
    while (start > 0 && !/[.!?\n]/.test(text[start - 1]!)) start--;
    let end = s.end;
    while (end < text.length && !/[.!?\n]/.test(text[end]!)) end++;
    if (end < text.length) end++;
    sentences.push([start, end]);
  }
  sentences.sort((a, b) => a[0] - b[0]);
  let out = '';
  let last = 0;
  let n = 0;
  for (const [start, end] of sentences) {
    if (start < last) continue;
    out += `${text.slice(last, start)}[[REDACTED_${++n}]]${/\s$/.test(text.slice(start, end)) ? ' ' : ''}`;
    last = end;
  }
  return out + text.slice(last);
}

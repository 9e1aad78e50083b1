import type { Language, Policy, SensitiveCategory } from '../policy.ts';
import { ibanValid } from './recognisers.ts';
import { vocabularySpans } from './special-vocabulary.ts';

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

// Parties of DE/AT/CH/UK/IE/US and the roles that tie a person to one: a party name alone ("Grüne
// Energie", "Labour costs", "Conservative estimate") says nothing about anyone.
const PARTY =
  '(?:cdu|csu|spd|afd|fdp|grünen|grüne[nr]?|bündnis 90|linken?|die linke|bsw|freien? wähler|övp|spö|fpö|neos|svp|glp|evp|sp\\b|lib ?dems?|liberal democrats?|tor(?:y|ies)|conservatives?|labour|snp|plaid cymru|reform uk|ukip|green party|greens|sinn féin|dup|fianna fáil|fine gael|democrats?\\b|republicans?\\b|gop\\b|democratic party|republican party)';
const PARTY_ROLE =
  '(?:mitglied|parteimitglied|parteibuch|gemeinderat|gemeinderätin|stadtrat|stadträtin|kreistag|kreisrat|kreisrätin|landtag|bundestag|nationalrat|nationalrätin|kantonsrat|kantonsrätin|großrat|grossrat|abgeordnete[rn]?|landtagsabgeordnete[rn]?|bundestagsabgeordnete[rn]?|kandidat(?:in)?|kandidiert|wahlkampf|ortsverein|ortsverband|kreisverband|kreisvorsitzende[r]?|landesvorsitzende[r]?|vorsitzende[r]? der|fraktion|wahlliste|listenplatz|bürgermeister(?:in)?|councillor|councilor|council\\b|\\bmp\\b|\\bmep\\b|senat(?:e|or)|congress(?:man|woman)?|candidate|stood as|standing for|running for|campaign(?:s|ing|er)?|canvass|fundrais|delegate|registered|caucus|member|activist|volunteer|agent|supporter|wähler(?:in)?|wählt|votes?|voted)';

/**
 * A lexicon term that starts with a letter run ("[a-zäöü]+stämmig") is tried at every word start and
 * costs more than the plain stems together; its trigger is text that every match of it contains.
 */
interface RunTerm {
  source: string;
  trigger: string;
}
type Term = string | RunTerm;

const LEXICON: Record<SensitiveCategory, Term[]> = {
  health: [
    'krank(?!enhaus|enkasse|enversicherung|enpflege)',
    'erkrank',
    'krebs',
    'tumor',
    'diagnos',
    'therapie',
    'chemo',
    'bestrahlung',
    'operiert',
    'operation(?:stermin)?\\b',
    'op-termin',
    '(?:hüft|knie|herz|rücken|bandscheiben|schulter|augen)-?op\\b',
    'reha\\b',
    'rehabilitation',
    'kur\\b',
    'arztbesuch',
    'arzttermin',
    'facharzt',
    'depressi',
    'burn-?out',
    'schwanger',
    'diabet',
    'zuckerkrank',
    'insulin',
    'herzinfarkt',
    'schlaganfall',
    'bandscheib',
    'allergi',
    'medikament',
    'behinderung',
    'schwerbehindert',
    'arbeitsunfähig',
    'psychisch',
    'psychiat',
    'psychotherap',
    'klinikaufenthalt',
    'im krankenhaus',
    'ins krankenhaus',
    'krankenhausaufenthalt',
    'gesundheitlich',
    'gesundheitszustand',
    'corona-?infiziert',
    'covid-?(?:erkrank|infiz|positiv)',
    'long[- ]?covid',
    'post[- ]?covid',
    'multiple sklerose',
    'multiple sclerosis',
    'im rollstuhl',
    'rollstuhlfahrer',
    'wheelchair user',
    'uses a wheelchair',
    'in a wheelchair',
    'dialyse',
    'dialysis',
    'transplant',
    'spender(?:niere|herz|organ)',
    'organspende',
    'nervenzusammenbruch',
    'nervous breakdown',
    'had a breakdown',
    'alzheimer',
    'demenz',
    'dementia',
    'parkinson',
    'epilep',
    'asthma',
    'hiv\\b',
    'aids\\b',
    'hepatitis',
    'autis',
    'adhs',
    'adhd',
    'gehörlos',
    'pflegegrad',
    'pflegestufe',
    'pflegebedürftig',
    'fehlgeburt',
    'miscarriage',
    'kinderwunsch',
    'fertility',
    'wechseljahre',
    'menopaus',
    'suchtklinik',
    'entzug',
    'alkoholkrank',
    'addiction',
    'rehab\\b',
    'sick',
    'illness',
    'cancer',
    'surgery',
    'in hospital',
    'hospitali[sz]ed',
    'diagnosed',
    'therapy',
    'pregnan',
    'disabilit',
    'disabled',
    'medication',
    'chronic',
    'depression',
    'anxiety disorder',
    'health (?:issue|problem|condition|reasons)',
    'medical (?:leave|condition|treatment)',
    'sick leave',
    'stroke\\b',
    'heart attack',
    '(?:hip|knee|joint) replacement',
    'recovering from',
    'krankgeschrieben',
    'off work with',
  ],
  religion: [
    'religi',
    'kirchlich',
    'kirchenaustritt',
    'kirchengemeinde',
    'kirchenchor',
    'katholisch',
    'katholik',
    'evangelisch',
    'evangelikal',
    'evangelical',
    'muslim',
    'moslem',
    'islam',
    'jüdisch',
    'jüdin',
    'jude\\b',
    'juden\\b',
    'christlich',
    'christin\\b',
    'buddhis',
    'hinduis',
    'hindu\\b',
    'moschee',
    'synagoge',
    'ramadan',
    'fastenmonat',
    'iftar',
    'zuckerfest',
    'opferfest',
    'bayram',
    'konfession',
    'atheist',
    'agnosti',
    'gottesdienst',
    'zeugen? jehovas',
    'zeugin jehovas',
    'freikirch',
    'schabbat',
    'sabbat',
    'shabbat',
    'sabbath',
    'koscher',
    'kosher',
    'halal',
    'jom kippur',
    'yom kippur',
    'pessach',
    'passover',
    'chanukka',
    'hanukkah',
    'diwali',
    'orthodox',
    'gläubig',
    'fromm\\b',
    'devout',
    'betet\\b',
    'gebet',
    'freitagsgebet',
    'friday prayers?',
    'sikh',
    'turban',
    'kippa',
    'kopftuch',
    'hijab',
    'niqab',
    'burka',
    'mormon',
    'latter-day saints',
    'jehovah.s witness',
    'adventist',
    'baptist\\b',
    'methodist',
    'anglican',
    'lutheran',
    'quaker',
    'quäker',
    'mennonit',
    'amish',
    'scientolog',
    'pilgrimage',
    'pilgerfahrt',
    'wallfahrt',
    'hajj',
    'church',
    'catholic',
    'protestant',
    'jewish',
    'mosque',
    'synagogue',
    'his faith',
    'her faith',
    'prayer',
    'religious',
    'imam\\b',
    'rabbi',
    'pastor\\b',
    'pfarrer',
    'priest',
    'taufe',
    'baptism',
    'konfirmation',
    'kommunion',
    'firmung',
    'bar mitzvah',
    'bat mitzvah',
  ],
  political: [
    'parteimitglied',
    'parteibuch',
    `mitglied (?:der|bei der|in der) ${PARTY}`,
    `${PARTY}-(?:mitglied|politiker(?:in)?|wähler(?:in)?|ortsverein|fraktion|abgeordnete[rn]?|kandidat(?:in)?|stadtrat|stadträtin|gemeinderat|kantonsrat|kantonsrätin|nationalrat|landtagsabgeordnete[rn]?|kreisvorsitzende[r]?|councillor)`,
    `${PARTY}\\b[^.!?\\n]{0,40}?${PARTY_ROLE}`,
    `${PARTY_ROLE}[^.!?\\n]{0,40}?\\b${PARTY}`,
    'politische (?:einstellung|überzeugung|gesinnung|meinung)',
    'politisch (?:engagiert|aktiv)',
    'wahlkampf',
    'kandidiert (?:für|bei|als)',
    'sitzt im (?:gemeinderat|stadtrat|kreistag|landtag|bundestag|nationalrat|kantonsrat)',
    'demonstration gegen',
    'political (?:view|opinion|belief|affiliation)',
    'party member',
    'member of the (?:labour|conservative|green|democratic|republican)',
    'votes? (?:labour|tory|conservative|democrat|republican)',
    'campaigns? for the',
    '(?:labour|tory|conservative|lib dem|green|snp) (?:councillor|mp|candidate|activist|member)',
    'town council(?:lor)?\\b',
    'city council(?:lor)?\\b',
    'registered (?:democrat|republican|voter)',
    'running for (?:the )?(?:state |city |town )?(?:senate|congress|council|office|mayor)',
    'stood as',
  ],
  trade_union: [
    'gewerkschaft',
    'ver\\.di',
    'verdi-mitglied',
    'ig metall',
    'ig bce',
    'ig bau',
    'betriebsrat',
    'personalrat',
    'vertrauens(?:mann|frau|leute|person)',
    'dgb\\b',
    'dgb-',
    'ögb',
    'streik',
    'teamsters',
    'afl-cio',
    'unison\\b',
    'usdaw',
    'solidarność',
    'siptu',
    'trade union',
    'labou?r union',
    'union member',
    'union rep',
    'union steward',
    'shop steward',
    'on strike',
    'organi[sz]ed (?:labou?r|in a union)',
    'tarifkommission',
  ],
  ethnic_origin: [
    'ethnisch',
    'ethnie',
    'migrationshintergrund',
    'hautfarbe',
    'rassis',
    'abstammung',
    'sinti',
    'roma\\b',
    'romani',
    'ethnic',
    'ethnicity',
    'skin colou?r',
    'racial',
    'race\\b',
    'of [a-z]+ (?:descent|origin|heritage|background|extraction)',
    { source: '[a-zäöü]+(?:er|scher) (?:herkunft|abstammung)', trigger: 'herkunft|abstammung' },
    '(?:stammt|kommt) aus einer [a-zäöü]+ familie',
    'comes from an? [a-z]+ family',
    { source: '[a-zäöü]+e wurzeln', trigger: 'e wurzeln' },
    { source: '[a-zäöü]+(?:ische|ischen) minderheit', trigger: 'minderheit' },
    'minderheit der',
    'minority\\b',
    'afrodeutsch',
    'russlanddeutsch',
    'spätaussiedler',
    'jesid',
    'yazidi',
    'schwarze[rn]? (?:deutsche|frau|mann)',
    'people of colou?r',
    'poc\\b',
    'black (?:british|american|german)',
    'african[- ]american',
    'asian[- ](?:british|american)',
    'british asian',
    'aboriginal',
    'indigenous',
    'first nations',
    'native american',
    'mixed[- ]race',
    'biracial',
    'mixed heritage',
    'traveller community',
    'gypsy',
    { source: '[a-zäöü]+stämmig', trigger: 'stämmig' },
  ],
  sex_life: [
    'sexuell',
    'sexualität',
    'homosexu',
    'schwul',
    'lesbisch',
    'lesbe',
    'bisexu',
    'transgender',
    'transsexu',
    'transident',
    'transfrau',
    'transmann',
    'ist trans\\b',
    'is trans\\b',
    'non-?binary',
    'nicht-?binär',
    'queer',
    'lgbt',
    'sexual orientation',
    'gay\\b',
    'lesbian',
    'coming-?out',
    'came out',
    'geschlechtsangleich',
    'transitioned',
    'gender transition',
    '(?:her|ihre[rnm]?) (?:wife|ehefrau|partnerin|girlfriend|lebensgefährtin)',
    '(?:his|seine[mnr]?|sein) (?:husband|ehemann|boyfriend|lebensgefährte)',
    'seines mannes',
    '(?:sie|she) und (?:ihre|her) frau',
    'she and her (?:wife|partner|girlfriend)',
    'he and his (?:husband|partner|boyfriend)',
    'er und sein (?:mann|partner|freund)',
    'ist bi\\b',
    'is bi\\b',
  ],
  genetic: [
    'genetisch',
    'gentest',
    'erbkrank',
    'dna-',
    'dna\\b',
    'genom',
    'genetic',
    'hereditary',
    'gene test',
    'brca',
  ],
  biometric: [
    'biometri',
    'fingerabdr',
    'gesichtserkennung',
    'iris-?scan',
    'stimmprofil',
    'fingerprint',
    'facial recognition',
    'face id\\b',
    'retina scan',
    'voiceprint',
  ],
  financial: [
    'kontonummer',
    'bankverbindung:',
    'kreditkarten-?nummer',
    'schulden',
    'verschuldet',
    'insolvenz',
    'privatinsolvenz',
    'pfändung',
    'schufa',
    'bonität',
    'mahnbescheid',
    'inkasso',
    'gehalt\\b',
    'gehalt von',
    'jahresgehalt',
    'einkommen',
    'vermögen',
    'kreditwürdig',
    'zahlungsunfähig',
    'überschuldet',
    'dispo',
    'account number',
    'credit card number',
    'debt',
    'bankrupt',
    'insolvenc',
    'credit score',
    'salary',
    'income of',
    'annual income',
    'overdraft',
    'foreclos',
    'garnish',
  ],
};

const UNION_NAMES =
  '(?:Unite|GMB|RMT|UCU|CWU|PCS|NEU|GEW|NGG|GdP|EVG|GPA|Unia|Syna|syndicom|VPOD|SEIU|UAW|AFSCME|UFCW|IBEW|CGT|CFDT|FNV|TUC|PRO-GE|younion)';
const UNION_CONTEXT =
  '(?:rep|steward|member|official|branch|board|activist|active|Mitglied|aktiv|organisiert|Personalrat|Betriebsrat|Vertrauens\\w*)';
// Case matters for these: "hat MS" (not "MS Teams"), union names that are also words ("Unite", "NEU").
const CASE_SENSITIVE: Partial<Record<SensitiveCategory, string>> = {
  health:
    '(?:hat|has|mit|with) MS\\b(?! (?:Teams|Office|Word|Excel|Outlook|Project|SQL|Access|Dynamics))|MS-Schub',
  trade_union: `${UNION_NAMES}\\b(?=[^.!?\\n]{0,30}\\b${UNION_CONTEXT})|${UNION_CONTEXT}\\b[^.!?\\n]{0,24}\\b${UNION_NAMES}\\b`,
};

// One pass over the text for all categories: a named group per category tells which one matched.
const CATEGORY_ORDER = Object.keys(LEXICON) as SensitiveCategory[];
const lexiconSource = (withRunTerms: boolean) =>
  `${B}(?:${CATEGORY_ORDER.map((c) => `(?<${c}>${LEXICON[c].flatMap((t) => (typeof t === 'string' ? [t] : withRunTerms ? [t.source] : [])).join('|')})`).join('|')})`;
const ALL_CATEGORIES_SOURCE = lexiconSource(true);
// The lexicon is lower case: on a lower-cased text the engine needs no case folding per character.
const ALL_CATEGORIES_LOWER = new RegExp(ALL_CATEGORIES_SOURCE, 'g');
// Lines that contain no trigger are scanned without the letter-run terms: a term that cannot match
// anywhere on a line changes nothing there, and no term matches across a line break (none has a
// class that takes "\n": checked here, else every line gets the whole lexicon).
const WITHOUT_RUN_TERMS = new RegExp(lexiconSource(false), 'g');
const RUN_TERM_TRIGGERS = new RegExp(
  CATEGORY_ORDER.flatMap((c) => LEXICON[c].flatMap((t) => (typeof t === 'string' ? [] : [t.trigger]))).join(
    '|',
  ),
  'g',
);
/** Whether a regex source may match a line break (a negated class without \n, \s, \W, \D or a code escape). */
function crossesLines(source: string): boolean {
  return /\\[sSWDxuc0]|\[\^(?![^\]]*\\n)/.test(source);
}
const LINE_BOUND = !crossesLines(
  CATEGORY_ORDER.flatMap((c) => LEXICON[c].map((t) => (typeof t === 'string' ? t : t.source))).join('|'),
);

const CASED_ORDER = Object.keys(CASE_SENSITIVE) as SensitiveCategory[];
const CASED_CATEGORIES = new RegExp(
  `${B}(?:${CASED_ORDER.map((c) => `(?<${c}>${CASE_SENSITIVE[c]})`).join('|')})`,
  'g',
);
// Every case-sensitive term contains "MS" or a union name, and none crosses a line break: only lines
// with one of them are scanned.
const CASED_TRIGGERS = new RegExp(`MS|${UNION_NAMES}`, 'g');
const CASED_LINE_BOUND = !crossesLines(Object.values(CASE_SENSITIVE).join('|'));

// Business topics that contain a sensitive stem but say nothing about a person: named sectors and
// institutions, addresses ("Church Street"), and any sensitive stem inside a product or project
// compound ("Kirchengemeinde-Software", "Betriebsrat-App").
const BUSINESS_TOPICS =
  /\b(?:gesundheits(?:branche|wesen|markt|sektor|ministerium|amt|app|plattform)|kranken(?:kasse|versicherung|haus(?:-?it|software|projekt|kette|betreiber|verwaltung|küche)?)(?:n)?(?:kunde|projekt|software|ausschreibung)?|klinik(?:um|en|kette|betreiber|software)|healthcare (?:industry|sector|market|software|it|provider|customer)|hospital (?:software|it|project|group|chain)|medizintechnik|medtech|pharma(?:branche|kunde|unternehmen)?|kirchliche[rn]? (?:träger|einrichtung)|church (?:charity|organisation|street|road|lane|hill|st\b)|kirch(?:straße|strasse|weg|platz|gasse)|streikposten-?app|[a-zäöüß]+-(?:software|app|plattform|platform|projekt|project|lösung|system|portal|modul|kunde|customer|branche|markt|sektor|tool)\b)/gi;

const IBAN_LIKE = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b/g;

/** The lexicon's matches in text[from, to) (whole lines): a slice, so the scan stops at `to`. */
function lexiconSpans(
  lexicon: RegExp,
  text: string,
  from: number,
  to: number,
  spans: SensitiveSpan[],
  order = CATEGORY_ORDER,
): void {
  const part = from === 0 && to === text.length ? text : text.slice(from, to);
  lexicon.lastIndex = 0;
  for (let m = lexicon.exec(part); m; m = lexicon.exec(part)) {
    const category = order.find((c) => m!.groups![c] !== undefined)!;
    spans.push({ category, start: from + m.index, end: from + m.index + m[0].length });
    if (m[0].length === 0) lexicon.lastIndex++;
  }
}

export function classifySensitive(
  text: string,
  _lang?: Language,
): { categories: SensitiveCategory[]; spans: SensitiveSpan[] } {
  if (!text) return { categories: [], spans: [] };
  const masked = text.replace(BUSINESS_TOPICS, (m) => ' '.repeat(m.length));
  const spans: SensitiveSpan[] = [];
  // Lower-casing keeps positions except for a few letters ("İ" becomes two characters): those stay as
  // they are (the case-folding regex did not match them to "i" either), so one "İ" in a long text no
  // longer sends the whole text through the slower case-folding scan.
  const lowered = masked.toLowerCase();
  const lower = lowered.length === masked.length ? lowered : lowerKeepingLength(masked);
  if (!LINE_BOUND) lexiconSpans(ALL_CATEGORIES_LOWER, lower, 0, lower.length, spans);
  else {
    // Lines with a trigger get the whole lexicon, the stretches between them the lexicon without the
    // letter-run terms (see WITHOUT_RUN_TERMS): the same spans, for a fraction of the work.
    let from = 0;
    RUN_TERM_TRIGGERS.lastIndex = 0;
    for (let t = RUN_TERM_TRIGGERS.exec(lower); t; t = RUN_TERM_TRIGGERS.exec(lower)) {
      const lineStart = lower.lastIndexOf('\n', t.index) + 1;
      const newline = lower.indexOf('\n', t.index);
      const lineEnd = newline === -1 ? lower.length : newline + 1;
      if (lineStart > from) lexiconSpans(WITHOUT_RUN_TERMS, lower, from, lineStart, spans);
      lexiconSpans(ALL_CATEGORIES_LOWER, lower, lineStart, lineEnd, spans);
      from = lineEnd;
      RUN_TERM_TRIGGERS.lastIndex = lineEnd;
    }
    if (from < lower.length) lexiconSpans(WITHOUT_RUN_TERMS, lower, from, lower.length, spans);
  }
  if (!CASED_LINE_BOUND) lexiconSpans(CASED_CATEGORIES, masked, 0, masked.length, spans, CASED_ORDER);
  else {
    CASED_TRIGGERS.lastIndex = 0;
    for (let t = CASED_TRIGGERS.exec(masked); t; t = CASED_TRIGGERS.exec(masked)) {
      const newline = masked.indexOf('\n', t.index);
      const lineEnd = newline === -1 ? masked.length : newline + 1;
      lexiconSpans(
        CASED_CATEGORIES,
        masked,
        masked.lastIndexOf('\n', t.index) + 1,
        lineEnd,
        spans,
        CASED_ORDER,
      );
      CASED_TRIGGERS.lastIndex = lineEnd;
    }
  }
  // The category vocabularies (data file) need a lower-cased text of the same length.
  vocabularySpans(masked, lower, spans);
  for (const m of text.matchAll(IBAN_LIKE))
    if (ibanValid(m[0])) spans.push({ category: 'financial', start: m.index, end: m.index + m[0].length });
  const categories = [...new Set(spans.map((s) => s.category))];
  return { categories, spans: spans.sort((a, b) => a.start - b.start) };
}

/**
 * Lower case, except "İ" (the one letter whose lower case is longer, "i̇"): positions stay those of the
 * text. Every other letter lower-cases to as many code units as it has.
 */
function lowerKeepingLength(text: string): string {
  return text
    .split('İ')
    .map((part) => part.toLowerCase())
    .join('İ');
}

export type SensitiveDecision = {
  action: 'none' | 'block' | 'local' | 'redact';
  categories: SensitiveCategory[];
};

const STRENGTH = { none: 0, redact: 1, local: 2, block: 3 } as const;

/** The strongest action among the found categories wins: block > local > redact > none. */
export function decideSensitive(
  categories: SensitiveCategory[],
  policy: Pick<Policy, 'sensitive'>,
): SensitiveDecision {
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

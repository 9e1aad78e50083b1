/**
 * Note wishes with what every offered slot must satisfy (the contact's wall clock, Europe/Berlin),
 * for `npm run eval:scheduling`. Now is Monday 7 December 2026, 08:00 Berlin; the owner works
 * Monday to Friday 08:00–17:00. `none`: no working hour can meet the wish (nothing is offered).
 * Hand-written in both languages, in different registers, with typos; the generated part combines
 * weekdays, parts of the day and frames the hand-written part does not use.
 */
export interface NoteWant {
  days?: number[];
  notDays?: number[];
  /** The slot starts at or after this minute of the day. */
  after?: number;
  /** The slot ends at or before this minute of the day. */
  before?: number;
  from?: string;
  until?: string;
  /** [weekday, fromMinute, toMinute]: no slot may touch this part of that day. */
  notWindows?: [number, number, number][];
  /** Alternatives: the slot lies inside one [weekday, fromMinute, toMinute]. */
  oneOf?: [number, number, number][];
  none?: true;
}
export type NoteCase = [note: string, lang: 'de' | 'en', want: NoteWant];

const H = (h: number, m = 0) => h * 60 + m;
const AM: [number, number] = [0, H(12)];
const PM: [number, number] = [H(12), H(24)];

export const HANDWRITTEN_NOTES: NoteCase[] = [
  // no wish at all
  ['Interessiert an einem Angebot für 20 Lizenzen.', 'de', {}],
  ['Bitte um Rückruf wegen der Rechnung.', 'de', {}],
  ['Kunde möchte Infos zur Wartung', 'de', {}],
  ['wants to talk about pricing', 'en', {}],
  ['Please call back re: the demo', 'en', {}],
  ['Rückruf erbeten, Thema Montage der Anlage', 'de', {}],
  ['Hat 3 Fragen zum Vertrag', 'de', {}],
  ['Asked about the 2 machines we quoted', 'en', {}],
  ['Erreichbar unter der bekannten Nummer', 'de', {}],
  ['Guten Morgen, bitte um Kontakt', 'de', {}],
  // parts of the day
  ['bittet um Rückruf am Vormittag', 'de', { before: H(12) }],
  ['am liebsten vormittags', 'de', { before: H(12) }],
  ['Lieber morgens, da ist es ruhiger.', 'de', { before: H(12) }],
  ['Vormittag wäre ideal', 'de', { before: H(12) }],
  ['nachmittags besser erreichbar', 'de', { after: H(12) }],
  ['Bitte am Nachmittag melden', 'de', { after: H(12) }],
  ['Nachmittag passt ihr am besten', 'de', { after: H(12) }],
  ['gerne nach der Mittagspause', 'de', { after: H(13) }],
  ['nicht vormittags bitte', 'de', { after: H(12) }],
  ['auf keinen Fall nachmittags', 'de', { before: H(12) }],
  ['prefers mornings', 'en', { before: H(12) }],
  ['Morning is best for her', 'en', { before: H(12) }],
  ['in the afternoon please', 'en', { after: H(12) }],
  ['Afternoons suit him better.', 'en', { after: H(12) }],
  ['any afternoon works', 'en', { after: H(12) }],
  ['not in the mornings', 'en', { after: H(12) }],
  ['after lunch if possible', 'en', { after: H(13) }],
  ['Mornings pls', 'en', { before: H(12) }],
  ['früh am Tag, vormittags', 'de', { before: H(12) }],
  ['vormitags (tippfehler im CRM) bitte', 'de', { before: H(12) }],
  // clock times and ranges
  ['Bitte erst ab 14 Uhr anrufen.', 'de', { after: H(14) }],
  ['ab 10 Uhr erreichbar', 'de', { after: H(10) }],
  ['frühestens um 11 Uhr', 'de', { after: H(11) }],
  ['nicht vor 9:30', 'de', { after: H(9, 30) }],
  ['vor 11 Uhr wäre gut', 'de', { before: H(11) }],
  ['bis 12 Uhr im Büro', 'de', { before: H(12) }],
  ['zwischen 13 und 15 Uhr', 'de', { after: H(13), before: H(15) }],
  ['zw. 9 und 11 Uhr bitte', 'de', { after: H(9), before: H(11) }],
  ['von 14 bis 16 Uhr erreichbar', 'de', { after: H(14), before: H(16) }],
  ['am besten 10-12 Uhr', 'de', { after: H(10), before: H(12) }],
  ['nach 15 Uhr', 'de', { after: H(15) }],
  ['nach 15:30 Uhr', 'de', { after: H(15, 30) }],
  ['after 2pm please', 'en', { after: H(14) }],
  ['after 3 pm', 'en', { after: H(15) }],
  ['not before 10am', 'en', { after: H(10) }],
  ['before noon', 'en', { before: H(12) }],
  ['before 11am if you can', 'en', { before: H(11) }],
  ['between 9 and 11am', 'en', { after: H(9), before: H(11) }],
  ['between 1pm and 4pm', 'en', { after: H(13), before: H(16) }],
  ['from 2 to 4pm', 'en', { after: H(14), before: H(16) }],
  ['any time after 10:30', 'en', { after: H(10, 30) }],
  ['until 12 only', 'en', { before: H(12) }],
  // weekdays wished
  ['Am besten dienstags.', 'de', { days: [2] }],
  ['Mittwoch wäre gut', 'de', { days: [3] }],
  ['donnerstags oder freitags', 'de', { days: [4, 5] }],
  ['Montag oder Dienstag', 'de', { days: [1, 2] }],
  ['nur freitags', 'de', { days: [5] }],
  ['gern am Donnerstag', 'de', { days: [4] }],
  ['Mitwoch bevorzugt', 'de', { days: [3] }],
  ['Donnerstg wäre prima', 'de', { days: [4] }],
  ['Tuesday preferred', 'en', { days: [2] }],
  ['Wednesdays are good', 'en', { days: [3] }],
  ['Thursday or Friday', 'en', { days: [4, 5] }],
  ['ideally on a Monday', 'en', { days: [1] }],
  ['Thrusday would be best', 'en', { days: [4] }],
  ['Wednesday or Thursday please', 'en', { days: [3, 4] }],
  ['only fridays', 'en', { days: [5] }],
  // weekdays ruled out
  ['bitte nicht montags', 'de', { notDays: [1] }],
  ['Montags geht es nicht', 'de', { notDays: [1] }],
  ['freitags ist schlecht', 'de', { notDays: [5] }],
  ['außer mittwochs', 'de', { notDays: [3] }],
  ['nicht am Dienstag', 'de', { notDays: [2] }],
  ['kein Freitag bitte', 'de', { notDays: [5] }],
  ['nicht Montag oder Dienstag', 'de', { notDays: [1, 2] }],
  ['Donnerstag passt leider nicht', 'de', { notDays: [4] }],
  ['no Fridays', 'en', { notDays: [5] }],
  ['not on Mondays', 'en', { notDays: [1] }],
  ['any day but Wednesday', 'en', { notDays: [3] }],
  ["Tuesdays don't work for her", 'en', { notDays: [2] }],
  ['except Thursday', 'en', { notDays: [4] }],
  ['Monday is impossible', 'en', { notDays: [1] }],
  // weekday + part of day
  ['Dienstag vormittags', 'de', { days: [2], before: H(12) }],
  ['mittwochs nachmittags', 'de', { days: [3], after: H(12) }],
  ['Donnerstag ab 14 Uhr', 'de', { days: [4], after: H(14) }],
  ['Freitag vor 12 Uhr', 'de', { days: [5], before: H(12) }],
  ['Tuesday afternoon', 'en', { days: [2], after: H(12) }],
  ['Thursday morning ideally', 'en', { days: [4], before: H(12) }],
  ['Wednesday after 3pm', 'en', { days: [3], after: H(15) }],
  [
    'Dienstag vormittags oder Donnerstag nachmittags',
    'de',
    {
      oneOf: [
        [2, ...AM],
        [4, ...PM],
      ],
    },
  ],
  [
    'Monday morning or Wednesday afternoon',
    'en',
    {
      oneOf: [
        [1, ...AM],
        [3, ...PM],
      ],
    },
  ],
  // compound exceptions
  ['außer montags vormittags', 'de', { notWindows: [[1, ...AM]] }],
  ['jederzeit, nur nicht Montag vormittags', 'de', { notWindows: [[1, ...AM]] }],
  ['nicht am Freitagnachmittag', 'de', { notWindows: [[5, ...PM]] }],
  ['Montagvormittag geht nicht', 'de', { notWindows: [[1, ...AM]] }],
  ['any time except Monday mornings', 'en', { notWindows: [[1, ...AM]] }],
  ['no Friday afternoons please', 'en', { notWindows: [[5, ...PM]] }],
  ['anything but Tuesday morning', 'en', { notWindows: [[2, ...AM]] }],
  ['Wednesday afternoons are bad', 'en', { notWindows: [[3, ...PM]] }],
  ['Montag vormittags ist schlecht, sonst immer', 'de', { notWindows: [[1, ...AM]] }],
  // next week, this week, dates
  ['erst nächste Woche', 'de', { from: '2026-12-14' }],
  ['ab kommender Woche', 'de', { from: '2026-12-14' }],
  ['diese Woche nicht mehr', 'de', { from: '2026-12-14' }],
  ['next week please', 'en', { from: '2026-12-14' }],
  ['not this week', 'en', { from: '2026-12-14' }],
  ['übernächste Woche', 'de', { from: '2026-12-21', until: '2026-12-27' }],
  ['the week after next', 'en', { from: '2026-12-21', until: '2026-12-27' }],
  ['in zwei Wochen', 'de', { from: '2026-12-21' }],
  ['erst in 2 Wochen', 'de', { from: '2026-12-21' }],
  ['in two weeks', 'en', { from: '2026-12-21' }],
  ['in drei Wochen wieder da', 'de', { from: '2026-12-28' }],
  ['in a week', 'en', { from: '2026-12-14' }],
  ['in einer Woche', 'de', { from: '2026-12-14' }],
  ['bittet um einen Termin erst ab nächstem Monat', 'de', { from: '2027-01-01' }],
  ['ab nächsten Monat', 'de', { from: '2027-01-01' }],
  ['next month', 'en', { from: '2027-01-01', until: '2027-01-31' }],
  ['not before January', 'en', { from: '2027-01-01' }],
  ['Nicht vor Januar', 'de', { from: '2027-01-01' }],
  ['ab Januar', 'de', { from: '2027-01-01' }],
  ['from January on', 'en', { from: '2027-01-01' }],
  ['Anfang Januar', 'de', { from: '2027-01-01', until: '2027-01-10' }],
  ['Mitte Januar', 'de', { from: '2027-01-11', until: '2027-01-20' }],
  ['Ende Januar', 'de', { from: '2027-01-21', until: '2027-01-31' }],
  ['early January', 'en', { from: '2027-01-01', until: '2027-01-10' }],
  ['mid January', 'en', { from: '2027-01-11', until: '2027-01-20' }],
  ['late January', 'en', { from: '2027-01-21', until: '2027-01-31' }],
  ['end of January', 'en', { from: '2027-01-21', until: '2027-01-31' }],
  ['im Januar', 'de', { from: '2027-01-01', until: '2027-01-31' }],
  ['KW 3', 'de', { from: '2027-01-18', until: '2027-01-24' }],
  ['in KW 2 bitte', 'de', { from: '2027-01-11', until: '2027-01-17' }],
  ['Kalenderwoche 51', 'de', { from: '2026-12-14', until: '2026-12-20' }],
  ['calendar week 3', 'en', { from: '2027-01-18', until: '2027-01-24' }],
  ['erst nach Weihnachten', 'de', { from: '2026-12-27' }],
  ['nach Weihnachten', 'de', { from: '2026-12-27' }],
  ['after Christmas', 'en', { from: '2026-12-27' }],
  ['after the holidays', 'en', { from: '2027-01-02' }],
  ['nach den Feiertagen', 'de', { from: '2027-01-02' }],
  ['nach Neujahr', 'de', { from: '2027-01-02' }],
  ['in the new year', 'en', { from: '2027-01-01' }],
  ['im neuen Jahr', 'de', { from: '2027-01-01' }],
  ['nach Ostern', 'de', { none: true }],
  ['after Easter', 'en', { none: true }],
  ['ab dem 15. Dezember', 'de', { from: '2026-12-15' }],
  ['nicht vor dem 10.12.', 'de', { from: '2026-12-10' }],
  ['from the 16th', 'en', { from: '2026-12-16' }],
  ['not before December 14', 'en', { from: '2026-12-14' }],
  ['after the 9th', 'en', { from: '2026-12-10' }],
  ['nach dem 10.', 'de', { from: '2026-12-11' }],
  ['diese Woche noch', 'de', { until: '2026-12-13' }],
  ['this week if possible', 'en', { until: '2026-12-13' }],
  ['morgen', 'de', { from: '2026-12-08', until: '2026-12-08' }],
  ['tomorrow', 'en', { from: '2026-12-08', until: '2026-12-08' }],
  ['übermorgen', 'de', { from: '2026-12-09', until: '2026-12-09' }],
  ['Anfang nächster Woche', 'de', { from: '2026-12-14', until: '2026-12-16' }],
  ['Ende der Woche', 'de', { from: '2026-12-10', until: '2026-12-11' }],
  ['end of next week', 'en', { from: '2026-12-17', until: '2026-12-18' }],
  ['early next week', 'en', { from: '2026-12-14', until: '2026-12-16' }],
  // combined
  ['Erst nächste Woche, dann gern vormittags', 'de', { from: '2026-12-14', before: H(12) }],
  ['ab nächstem Monat, nachmittags', 'de', { from: '2027-01-01', after: H(12) }],
  ['in zwei Wochen, aber nicht montags', 'de', { from: '2026-12-21', notDays: [1] }],
  ['next week, afternoons, not Friday', 'en', { from: '2026-12-14', after: H(12), notDays: [5] }],
  ['KW 3 dienstags', 'de', { from: '2027-01-18', until: '2027-01-24', days: [2] }],
  ['Mitte Januar, vormittags', 'de', { from: '2027-01-11', until: '2027-01-20', before: H(12) }],
  ['after Christmas, mornings', 'en', { from: '2026-12-27', before: H(12) }],
  ['nächste Woche Donnerstag', 'de', { from: '2026-12-14', days: [4] }],
  ['Mittwoch oder Donnerstag ab 13 Uhr', 'de', { days: [3, 4], after: H(13) }],
  [
    'Sehr geehrte Damen und Herren, der Kunde bittet um Rückruf, bevorzugt dienstags zwischen 10 und 12 Uhr.',
    'de',
    { days: [2], after: H(10), before: H(12) },
  ],
  [
    'Hi team – customer asked for a call, ideally Thursday afternoon, not before 2pm.',
    'en',
    { days: [4], after: H(14) },
  ],
  [
    'Kd. ist bis Ende der Woche im Urlaub, danach gerne nachmittags',
    'de',
    { from: '2026-12-14', after: H(12) },
  ],
  // second batch, written after the readers (kept to guard against regressions)
  ['Hr. Beispiel bittet um Rückruf, am besten Di/Do', 'de', { days: [2, 4] }],
  ['Erreichbar Mo–Fr 8–12 Uhr', 'de', { before: H(12) }],
  ['Prefers Tue/Thu afternoons', 'en', { days: [2, 4], after: H(12) }],
  ['Kunde ist nur dienstags und donnerstags im Büro', 'de', { days: [2, 4] }],
  ['Rückruf gewünscht, gern gegen Mittag', 'de', { after: H(11), before: H(14, 30) }],
  ['prefers late afternoons', 'en', { after: H(15) }],
  ['only available before lunch', 'en', { before: H(12) }],
  ['Mo-Mi vormittags', 'de', { days: [1, 2, 3], before: H(12) }],
  ['keine Termine am Freitag nachmittag', 'de', { notWindows: [[5, ...PM]] }],
  [
    'nicht zwischen 12 und 14 Uhr',
    'de',
    {
      notWindows: [
        [1, H(12), H(14)],
        [2, H(12), H(14)],
        [3, H(12), H(14)],
        [4, H(12), H(14)],
        [5, H(12), H(14)],
      ],
    },
  ],
  ['zwischen Weihnachten und Neujahr', 'de', { from: '2026-12-27', until: '2026-12-31' }],
  ['Donnerstags ab 10', 'de', { days: [4], after: H(10) }],
  ['Freitag ist ihr freier Tag', 'de', { notDays: [5] }],
  ['bis Mittwoch keine Zeit', 'de', { from: '2026-12-10' }],
  ['mid-January would suit', 'en', { from: '2027-01-11', until: '2027-01-20' }],
  ['end of the month', 'en', { from: '2026-12-21', until: '2026-12-31' }],
  ['not until mid-January', 'en', { from: '2027-01-11' }],
  ['in der Woche vor Weihnachten', 'de', { from: '2026-12-14', until: '2026-12-24' }],
  ['sometime the week of January 11', 'en', { from: '2027-01-11', until: '2027-01-17' }],
  // nothing a working hour can meet
  ['nur am Wochenende', 'de', { none: true }],
  ['only on weekends', 'en', { none: true }],
  ['samstags', 'de', { none: true }],
  ['Sunday afternoon', 'en', { none: true }],
  ['after 6pm', 'en', { none: true }],
  ['erst ab 18 Uhr', 'de', { none: true }],
  ['abends nach 19 Uhr', 'de', { none: true }],
  ['in the evening', 'en', { none: true }],
  ['before 7am', 'en', { none: true }],
  ['nur vor 8 Uhr', 'de', { none: true }],
];

const DE_DAYS = ['', 'Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag'];
const EN_DAYS = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const DE_PARTS: [string, 'am' | 'pm'][] = [
  ['vormittags', 'am'],
  ['nachmittags', 'pm'],
  ['am Vormittag', 'am'],
  ['am Nachmittag', 'pm'],
];
const EN_PARTS: [string, 'am' | 'pm'][] = [
  ['morning', 'am'],
  ['afternoon', 'pm'],
  ['in the morning', 'am'],
  ['in the afternoon', 'pm'],
];
const range = (p: 'am' | 'pm') => (p === 'am' ? { before: H(12) } : { after: H(12) });

/** Frames × weekdays × parts of the day × clock times, in both languages (different word orders). */
export function generatedNotes(): NoteCase[] {
  const out: NoteCase[] = [];
  for (let d = 1; d <= 5; d++) {
    const [dp, dpart] = DE_PARTS[d % 4]!;
    const [ep, epart] = EN_PARTS[(d + 1) % 4]!;
    out.push([`Kunde wünscht ${DE_DAYS[d]} ${dp}`, 'de', { days: [d], ...range(dpart) }]);
    out.push([
      `${dp.replace(/^./, (c) => c.toUpperCase())}, am liebsten ${DE_DAYS[d]}`,
      'de',
      { days: [d], ...range(dpart) },
    ]);
    out.push([`bitte nicht ${DE_DAYS[d]!.toLowerCase()}s`, 'de', { notDays: [d] }]);
    out.push([`${DE_DAYS[d]} geht bei ihm nicht`, 'de', { notDays: [d] }]);
    out.push([
      `außer ${DE_DAYS[d]!.toLowerCase()}s ${dpart === 'am' ? 'vormittags' : 'nachmittags'}`,
      'de',
      { notWindows: [[d, ...(dpart === 'am' ? AM : PM)]] },
    ]);
    out.push([`${EN_DAYS[d]} ${ep}`, 'en', { days: [d], ...range(epart) }]);
    out.push([
      `She'd prefer ${EN_DAYS[d]}s ${ep.startsWith('in') ? ep : `in the ${ep}`}`,
      'en',
      { days: [d], ...range(epart) },
    ]);
    out.push([`not ${EN_DAYS[d]}`, 'en', { notDays: [d] }]);
    out.push([`${EN_DAYS[d]}s are no good`, 'en', { notDays: [d] }]);
    out.push([
      `any time except ${EN_DAYS[d]} ${epart === 'am' ? 'mornings' : 'afternoons'}`,
      'en',
      { notWindows: [[d, ...(epart === 'am' ? AM : PM)]] },
    ]);
    out.push([`next week on ${EN_DAYS[d]}`, 'en', { from: '2026-12-14', days: [d] }]);
    out.push([`nächste Woche am ${DE_DAYS[d]}`, 'de', { from: '2026-12-14', days: [d] }]);
  }
  for (const h of [9, 10, 11, 13, 14, 15, 16]) {
    out.push([`ab ${h} Uhr`, 'de', { after: H(h) }]);
    out.push([`nicht vor ${h}:00`, 'de', { after: H(h) }]);
    out.push([`bis ${h} Uhr bitte`, 'de', { before: H(h) }]);
    out.push([`after ${h > 12 ? `${h - 12}pm` : `${h}am`}`, 'en', { after: H(h) }]);
    out.push([`before ${h > 12 ? `${h - 12} pm` : `${h} am`} please`, 'en', { before: H(h) }]);
    out.push([`zwischen ${h} und ${h + 2} Uhr`, 'de', { after: H(h), before: H(h + 2) }]);
    out.push([`between ${h}:00 and ${h + 1}:30`, 'en', { after: H(h), before: H(h + 1, 30) }]);
  }
  const months: [string, string, string][] = [
    ['Januar', 'January', '2027-01'],
    ['Februar', 'February', '2027-02'],
  ];
  for (const [de, en, ym] of months) {
    const last = ym.endsWith('01') ? '31' : '28';
    out.push([`Anfang ${de} wäre gut`, 'de', { from: `${ym}-01`, until: `${ym}-10` }]);
    // Past mid-February lies beyond the furthest search (60 days from 7 December): nothing, and why.
    const far = ym === '2027-02';
    out.push([`gegen Ende ${de}`, 'de', far ? { none: true } : { from: `${ym}-21`, until: `${ym}-${last}` }]);
    out.push([`Mitte ${de}`, 'de', far ? { none: true } : { from: `${ym}-11`, until: `${ym}-20` }]);
    out.push([`sometime in early ${en}`, 'en', { from: `${ym}-01`, until: `${ym}-10` }]);
    out.push([
      `late ${en} ideally`,
      'en',
      far ? { none: true } : { from: `${ym}-21`, until: `${ym}-${last}` },
    ]);
    out.push([`nicht vor ${de}`, 'de', { from: `${ym}-01` }]);
    out.push([`not before ${en}`, 'en', { from: `${ym}-01` }]);
  }
  for (const [n, de, en] of [
    [1, 'einer', 'one'],
    [2, 'zwei', 'two'],
    [3, 'drei', 'three'],
    [4, 'vier', 'four'],
  ] as const) {
    const from = new Date(Date.UTC(2026, 11, 7 + 7 * n)).toISOString().slice(0, 10);
    out.push([`in ${de} Wochen`.replace('einer Wochen', 'einer Woche'), 'de', { from }]);
    out.push([`in ${en} week${n > 1 ? 's' : ''}`, 'en', { from }]);
    out.push([`erst in ${n} Woche${n > 1 ? 'n' : ''} wieder im Haus`, 'de', { from }]);
  }
  for (const w of [2, 3, 4, 5]) {
    const monday = new Date(Date.UTC(2027, 0, 4 + 7 * (w - 1)));
    const from = monday.toISOString().slice(0, 10);
    const until = new Date(monday.getTime() + 6 * 86_400_000).toISOString().slice(0, 10);
    out.push([`KW${w}`, 'de', { from, until }]);
    out.push([`in der KW ${w}`, 'de', { from, until }]);
    out.push([`week ${w} of January`, 'en', {}]);
  }
  return out.filter((c) => !(c[0].startsWith('week ') && Object.keys(c[2]).length === 0));
}

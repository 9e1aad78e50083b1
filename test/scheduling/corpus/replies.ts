/**
 * Answers to an offer with what they mean, for `npm run eval:scheduling`. Now is Monday 7 December
 * 2026, 09:00 Berlin. Offer A: 1 Tue 8 Dec 10:00, 2 Wed 9 Dec 14:00, 3 Thu 10 Dec 11:30. Offer B:
 * 1 Tue 8 Dec 09:00, 2 Tue 8 Dec 15:00, 3 Fri 11 Dec 10:00 (two on one day). Slots last 30 minutes.
 * A pick is 0-based; a counter is the proposed start on the Berlin wall clock (null: no full time).
 */
export type Offer = 'A' | 'B';
export type ReplyKind = 'pick' | 'counter' | 'call_me' | 'decline' | 'unclear' | 'auto_reply';
export type ReplyCase = [
  text: string,
  lang: 'de' | 'en',
  offer: Offer,
  kind: ReplyKind,
  value?: number | string | null,
];

export const OFFERS: Record<Offer, [string, string][]> = {
  A: [
    ['2026-12-08T10:00', '2026-12-08T10:30'],
    ['2026-12-09T14:00', '2026-12-09T14:30'],
    ['2026-12-10T11:30', '2026-12-10T12:00'],
  ],
  B: [
    ['2026-12-08T09:00', '2026-12-08T09:30'],
    ['2026-12-08T15:00', '2026-12-08T15:30'],
    ['2026-12-11T10:00', '2026-12-11T10:30'],
  ],
};

export const HANDWRITTEN_REPLIES: ReplyCase[] = [
  // ordinals and labels
  ['Der zweite Termin passt mir gut.', 'de', 'A', 'pick', 1],
  ['Den ersten bitte.', 'de', 'A', 'pick', 0],
  ['Ich nehme den dritten Vorschlag.', 'de', 'A', 'pick', 2],
  ['der letzte wäre ideal', 'de', 'A', 'pick', 2],
  ['Nummer 2', 'de', 'A', 'pick', 1],
  ['Nr. 3 passt', 'de', 'A', 'pick', 2],
  ['Option B', 'de', 'A', 'pick', 1],
  ['Variante 1 bitte', 'de', 'A', 'pick', 0],
  ['Vorschlag 3 klingt gut.', 'de', 'A', 'pick', 2],
  ['Termin 2 nehme ich.', 'de', 'A', 'pick', 1],
  ['2', 'de', 'A', 'pick', 1],
  ['3.', 'de', 'A', 'pick', 2],
  ['Die 1 bitte!', 'de', 'A', 'pick', 0],
  ['nicht den ersten sondern den zweiten', 'de', 'A', 'pick', 1],
  ['Den ersten schaffe ich nicht, aber der zweite geht.', 'de', 'A', 'pick', 1],
  ['Hallo Herr Vertrieb, gerne den zweiten Termin. Viele Grüße', 'de', 'A', 'pick', 1],
  ['Guten Tag,\nder dritte Vorschlag passt.\nMfG', 'de', 'A', 'pick', 2],
  ['zweiter passt', 'de', 'A', 'pick', 1],
  ['Den zweitn Termin bitte', 'de', 'A', 'pick', 1],
  ['the second one works', 'en', 'A', 'pick', 1],
  ['The first, please.', 'en', 'A', 'pick', 0],
  ["I'll take the third.", 'en', 'A', 'pick', 2],
  ['the last one', 'en', 'A', 'pick', 2],
  ['The latter works for me', 'en', 'B', 'pick', 2],
  ['Option 2 please', 'en', 'A', 'pick', 1],
  ['option C', 'en', 'A', 'pick', 2],
  ['number 1', 'en', 'A', 'pick', 0],
  ['#3', 'en', 'A', 'pick', 2],
  ['2 works for me, thanks!', 'en', 'A', 'pick', 1],
  ['Not the first but the second.', 'en', 'A', 'pick', 1],
  ["first one's fine", 'en', 'A', 'pick', 0],
  ["Hi Max, let's go with the 2nd slot. Cheers, Erika", 'en', 'A', 'pick', 1],
  ['sencond option pls', 'en', 'A', 'pick', 1],
  // weekdays, dates, times
  ['Dienstag passt.', 'de', 'A', 'pick', 0],
  ['Mittwoch um 14 Uhr ist gut', 'de', 'A', 'pick', 1],
  ['Mittwoch um 2 wäre super', 'de', 'A', 'pick', 1],
  ['Donnerstag 11:30 passt mir.', 'de', 'A', 'pick', 2],
  ['Am Donnerstag um halb zwölf', 'de', 'A', 'pick', 2],
  ['Gern am 9.12.', 'de', 'A', 'pick', 1],
  ['Am 10. Dezember bin ich da.', 'de', 'A', 'pick', 2],
  ['Dienstag, 8. Dezember, 10:00 Uhr passt', 'de', 'A', 'pick', 0],
  ['Morgen um 10 passt', 'de', 'A', 'pick', 0],
  ['14 Uhr passt', 'de', 'A', 'pick', 1],
  ['um 11:30', 'de', 'A', 'pick', 2],
  ['Mi. 14:00', 'de', 'A', 'pick', 1],
  ['Do passt.', 'de', 'A', 'pick', 2],
  ['Mitwoch passt', 'de', 'A', 'pick', 1],
  ['Dienstag nachmittag', 'de', 'B', 'pick', 1],
  ['Dienstag vormittags bitte', 'de', 'B', 'pick', 0],
  ['Freitag passt', 'de', 'B', 'pick', 2],
  ['Dienstag passt', 'de', 'B', 'unclear'],
  ['Dienstag um 15 Uhr', 'de', 'B', 'pick', 1],
  ['Tuesday works', 'en', 'A', 'pick', 0],
  ['Wednesday at 2pm is perfect', 'en', 'A', 'pick', 1],
  ['the 11:30 one', 'en', 'A', 'pick', 2],
  ['Thursday 11.30 works', 'en', 'A', 'pick', 2],
  ['Dec 9 works', 'en', 'A', 'pick', 1],
  ['December 10th at 11:30', 'en', 'A', 'pick', 2],
  ['tomorrow at 10 is fine', 'en', 'A', 'pick', 0],
  ['Tuesday afternoon', 'en', 'B', 'pick', 1],
  ['Tuesday morning please', 'en', 'B', 'pick', 0],
  ['Friday', 'en', 'B', 'pick', 2],
  ['Tuesday', 'en', 'B', 'unclear'],
  ['3pm Tuesday', 'en', 'B', 'pick', 1],
  ['Wed works for me', 'en', 'A', 'pick', 1],
  ["Wednesday's slot", 'en', 'A', 'pick', 1],
  ['The 2pm works', 'en', 'A', 'pick', 1],
  ['the one on Thursday', 'en', 'A', 'pick', 2],
  ["Let's do Tuesday at 10.", 'en', 'A', 'pick', 0],
  ['Wednesday afternoon works best', 'en', 'A', 'pick', 1],
  // negation and correction
  ['Dienstag geht leider nicht, aber Mittwoch passt.', 'de', 'A', 'pick', 1],
  ['Nicht Dienstag, sondern Donnerstag.', 'de', 'A', 'pick', 2],
  ["Tuesday doesn't work but Thursday does", 'en', 'A', 'pick', 2],
  ['Not Wednesday – Thursday please', 'en', 'A', 'pick', 2],
  ['Ich hatte erst an Dienstag gedacht, nehme aber lieber Mittwoch.', 'de', 'A', 'pick', 1],
  // with the quoted original below
  [
    'Option 2 passt.\n\nAm 07.12.2026 um 09:00 schrieb Max Vertrieb:\n> 1. Dienstag, 8. Dezember, 10:00–10:30 Uhr\n> 2. Mittwoch, 9. Dezember, 14:00–14:30 Uhr\n> 3. Donnerstag, 10. Dezember, 11:30–12:00 Uhr',
    'de',
    'A',
    'pick',
    1,
  ],
  [
    'Der erste.\n________________________________\nVon: Max Vertrieb\nGesendet: Montag, 7. Dezember 2026 09:00\nAn: Erika\nBetreff: Termin\n\n1. Dienstag, 8. Dezember, 10:00–10:30 Uhr\n2. Mittwoch, 9. Dezember',
    'de',
    'A',
    'pick',
    0,
  ],
  [
    'Thanks!\n\nOn Mon, 7 Dec 2026, Max wrote:\n> 1. Tuesday, 8 December, 10:00–10:30\n> 2. Wednesday',
    'en',
    'A',
    'unclear',
  ],
  ['Thursday works.\n\nSent from my iPhone', 'en', 'A', 'pick', 2],
  [
    'Danke, ich melde mich.\n\n-----Ursprüngliche Nachricht-----\nVon: Max\n1. Dienstag',
    'de',
    'A',
    'unclear',
  ],
  // ambiguous or hedged: never a pick
  ['Option 1 oder 2, beides geht.', 'de', 'A', 'unclear'],
  ['Dienstag oder Mittwoch, ist mir egal.', 'de', 'A', 'unclear'],
  ['Vielleicht der zweite? Muss noch intern klären.', 'de', 'A', 'unclear'],
  ['Eventuell Donnerstag, ich melde mich nochmal.', 'de', 'A', 'unclear'],
  ['either the first or the second is fine', 'en', 'A', 'unclear'],
  ["Maybe Thursday, I'll confirm tomorrow.", 'en', 'A', 'unclear'],
  ['Both work for me.', 'en', 'A', 'unclear'],
  ['Any of them', 'en', 'A', 'unclear'],
  ['Danke für die Vorschläge!', 'de', 'A', 'unclear'],
  ['Ich schaue in meinen Kalender und melde mich.', 'de', 'A', 'unclear'],
  ['Thanks, will get back to you.', 'en', 'A', 'unclear'],
  ['Option 5', 'de', 'A', 'unclear'],
  ['the fourth one', 'en', 'A', 'unclear'],
  ['Wie beim letzten Mal gerne telefonisch.', 'de', 'A', 'call_me'],
  ['Option 2, also Dienstag', 'de', 'A', 'unclear'],
  // counter-proposals
  ['Keiner passt, ginge Freitag 14 Uhr?', 'de', 'A', 'counter', '2026-12-11T14:00'],
  ['none of these, how about Thursday at 3?', 'en', 'A', 'counter', '2026-12-10T15:00'],
  ['Leider passt keiner. Wie wäre es mit Freitag um 10?', 'de', 'A', 'counter', '2026-12-11T10:00'],
  ['Geht auch Montag nächste Woche um 9?', 'de', 'A', 'counter', '2026-12-14T09:00'],
  ['Could we do Friday at 11am instead?', 'en', 'A', 'counter', '2026-12-11T11:00'],
  ['What about Monday 14 December at 10:00?', 'en', 'A', 'counter', '2026-12-14T10:00'],
  ['Am 15.12. um 13 Uhr hätte ich Zeit.', 'de', 'A', 'counter', '2026-12-15T13:00'],
  ['Dienstag geht nicht, aber Donnerstag um 15 Uhr ginge.', 'de', 'A', 'counter', '2026-12-10T15:00'],
  ['Wednesday 4pm would suit me better', 'en', 'A', 'counter', '2026-12-09T16:00'],
  ['Mittwoch um 16:30?', 'de', 'A', 'counter', '2026-12-09T16:30'],
  ['Ich kann nur am Freitag.', 'de', 'A', 'counter', null],
  ['Can we do next week instead?', 'en', 'A', 'counter', null],
  ['Lieber Freitag.', 'de', 'A', 'counter', null],
  ['How about Friday?', 'en', 'A', 'counter', null],
  ['Passt alles nicht, ginge Montag, 14.12., 11 Uhr?', 'de', 'A', 'counter', '2026-12-14T11:00'],
  // call me
  ['Bitte rufen Sie mich einfach an.', 'de', 'A', 'call_me'],
  ['Rufen Sie mich doch kurz an, dann finden wir was.', 'de', 'A', 'call_me'],
  ['Ruf mich einfach an!', 'de', 'A', 'call_me'],
  ['Lieber telefonisch, ich bin unter der bekannten Nummer erreichbar.', 'de', 'A', 'call_me'],
  ['Just give me a call.', 'en', 'A', 'call_me'],
  ['Please call me back.', 'en', 'A', 'call_me'],
  ['Could you ring me instead?', 'en', 'A', 'call_me'],
  ['Easier by phone – call me anytime.', 'en', 'A', 'call_me'],
  // decline
  ['Kein Interesse mehr, danke.', 'de', 'A', 'decline'],
  ['Hat sich erledigt.', 'de', 'A', 'decline'],
  ['Leider passt keiner der Termine.', 'de', 'A', 'decline'],
  ['Keiner der Vorschläge passt mir.', 'de', 'A', 'decline'],
  ['Not interested anymore, thanks.', 'en', 'A', 'decline'],
  ['None of these work for me, sorry.', 'en', 'A', 'decline'],
  ['Neither works.', 'en', 'A', 'decline'],
  ['No thanks.', 'en', 'A', 'decline'],
  ['Wir haben uns für einen anderen Anbieter entschieden.', 'de', 'A', 'decline'],
  // second batch, written after the readers (kept to guard against regressions)
  [
    'Sehr geehrter Herr Vertrieb, gerne bestätige ich den Termin am Mittwoch, 9. Dezember um 14:00 Uhr.',
    'de',
    'A',
    'pick',
    1,
  ],
  ["I'd like to book the Tuesday slot please", 'en', 'A', 'pick', 0],
  ['Können wir den ersten nehmen?', 'de', 'A', 'pick', 0],
  ['ich nehm die 3', 'de', 'A', 'pick', 2],
  ['Mir passt Variante zwei am besten.', 'de', 'A', 'pick', 1],
  ['Confirming Thursday 10 Dec, 11:30.', 'en', 'A', 'pick', 2],
  ['Übermorgen um 14 Uhr passt', 'de', 'A', 'pick', 1],
  [
    'Der Termin am Mittwoch wäre mir recht, aber nur falls der Dienstag nicht mehr frei ist.',
    'de',
    'A',
    'unclear',
  ],
  ['Alle drei gehen', 'de', 'A', 'unclear'],
  ['All three work for me', 'en', 'A', 'unclear'],
  ['Bitte den 2. Termin', 'de', 'A', 'pick', 1],
  ['Am 2. Termin kann ich.', 'de', 'A', 'pick', 1],
  ['Slot 3 ✅', 'en', 'A', 'pick', 2],
  ['Ich bin am Dienstag im Urlaub, Mittwoch passt', 'de', 'A', 'pick', 1],
  ['Am Dienstag bin ich nicht da. Der Mittwoch passt.', 'de', 'A', 'pick', 1],
  ['leider habe ich am Mittwoch keine Zeit, aber Donnerstag um halb zwölf klappt', 'de', 'A', 'pick', 2],
  ['Der erste Termin ist leider schon belegt, der zweite geht.', 'de', 'A', 'pick', 1],
  ['Option 1 geht nicht, 2 geht.', 'de', 'A', 'pick', 1],
  [
    'Ich würde gerne auf Freitag, den 11.12. um 10:00 Uhr ausweichen.',
    'de',
    'A',
    'counter',
    '2026-12-11T10:00',
  ],
  ['Could we move it to Friday afternoon, say 3pm?', 'en', 'A', 'counter', '2026-12-11T15:00'],
  ['Bitte nehmen Sie mich aus dem Verteiler.', 'de', 'A', 'decline'],
  ['Rufen Sie mich am besten mobil an.', 'de', 'A', 'call_me'],
  ['A quick call would be easier.', 'en', 'A', 'call_me'],
  ['Thursday could work but let me double check', 'en', 'A', 'unclear'],
  ['Thanks for your mail on Monday. Thursday is good.', 'en', 'A', 'pick', 2],
  ['None of the three, sorry. Next Tuesday at 10?', 'en', 'A', 'counter', '2026-12-15T10:00'],
  ['Ich melde mich, sobald ich meinen Kalender geprüft habe.', 'de', 'A', 'unclear'],
  ['Sorry, who is this?', 'en', 'A', 'unclear'],
  ['Tues is out, Weds works', 'en', 'A', 'pick', 1],
  ['Lieber Herr Vertrieb, ich entscheide mich für Termin Nummer zwei.', 'de', 'A', 'pick', 1],
  ["Tuesday's no good, but I can do Wednesday.", 'en', 'A', 'pick', 1],
  ["I can't do Tuesday or Wednesday. Thursday is fine.", 'en', 'A', 'pick', 2],
  ['Neither Tuesday nor Wednesday work; Thursday does.', 'en', 'A', 'pick', 2],
  ['Second works. Actually, make it the third.', 'en', 'A', 'pick', 2],
  ['Either Tuesday or Thursday is fine with me, you choose.', 'en', 'A', 'unclear'],
  ['Bitte rufen Sie mich morgen zwischen 10 und 12 an.', 'de', 'A', 'call_me'],
  ['How about 4pm on Wednesday?', 'en', 'A', 'counter', '2026-12-09T16:00'],
  ['Danke für die Termine, Dienstag klappt leider nicht, die anderen beiden gehen.', 'de', 'A', 'unclear'],
  ['Mittwoch wäre toll, falls das noch geht.', 'de', 'A', 'unclear'],
  ['Great, put me down for Thursday.', 'en', 'A', 'pick', 2],
  ['The earliest one suits me best.', 'en', 'A', 'pick', 0],
  // automatic replies
  [
    'Ich bin bis einschließlich 4. Januar nicht im Büro. Ihre Nachricht wird nicht weitergeleitet.',
    'de',
    'A',
    'auto_reply',
  ],
  [
    'Vielen Dank für Ihre Nachricht. Ich bin derzeit abwesend und ab dem 11.12. wieder erreichbar.',
    'de',
    'A',
    'auto_reply',
  ],
  ['I am currently out of the office with limited access to email.', 'en', 'A', 'auto_reply'],
  ['This is an automatic reply. I am on annual leave until 4 January.', 'en', 'A', 'auto_reply'],
  ['Automatische Antwort: Ich bin im Urlaub.', 'de', 'A', 'auto_reply'],
];

const ORD_DE = [
  ['ersten', 'erste', 'Nummer 1', 'Option 1', 'Vorschlag 1'],
  ['zweiten', 'zweite', 'Nummer 2', 'Option 2', 'Vorschlag 2'],
  ['dritten', 'dritte', 'Nummer 3', 'Option 3', 'Vorschlag 3'],
];
const ORD_EN = [
  ['first', 'option 1', 'number one', 'slot 1'],
  ['second', 'option 2', 'number two', 'slot 2'],
  ['third', 'option 3', 'number three', 'slot 3'],
];
const A_DE = [
  ['Dienstag', '10 Uhr', '10:00'],
  ['Mittwoch', '14 Uhr', '14:00'],
  ['Donnerstag', '11:30 Uhr', '11.30'],
];
const A_EN = [
  ['Tuesday', '10am', '10:00'],
  ['Wednesday', '2pm', '14:00'],
  ['Thursday', '11:30am', '11:30'],
];

/** Frames × references × registers, German and English, so no single phrasing carries the score. */
export function generatedReplies(): ReplyCase[] {
  const out: ReplyCase[] = [];
  for (let i = 0; i < 3; i++) {
    const [acc, nom, nr, opt, vor] = ORD_DE[i]! as [string, string, string, string, string];
    out.push([`Hallo, den ${acc} Termin nehme ich gerne.`, 'de', 'A', 'pick', i]);
    out.push([`${nom.replace(/^./, (c) => c.toUpperCase())} passt super, danke!`, 'de', 'A', 'pick', i]);
    out.push([`${nr} bitte`, 'de', 'A', 'pick', i]);
    out.push([
      `Sehr geehrter Herr Vertrieb,\n\n${opt} passt mir.\n\nMit freundlichen Grüßen`,
      'de',
      'A',
      'pick',
      i,
    ]);
    out.push([`${vor} wäre prima`, 'de', 'A', 'pick', i]);
    out.push([`Ich würde den ${acc} nehmen.`, 'de', 'A', 'pick', i]);
    const [day, hour, clock] = A_DE[i]! as [string, string, string];
    out.push([`${day} um ${hour} passt`, 'de', 'A', 'pick', i]);
    out.push([`Gern ${day.toLowerCase()}`, 'de', 'A', 'pick', i]);
    out.push([`${clock} klingt gut`, 'de', 'A', 'pick', i]);
    out.push([`Am ${day} ginge es bei mir.`, 'de', 'A', 'pick', i]);
    out.push([`${day} passt leider nicht.`, 'de', 'A', 'unclear']);
    const [first, option, number, slot] = ORD_EN[i]! as [string, string, string, string];
    out.push([`The ${first} one works for me.`, 'en', 'A', 'pick', i]);
    out.push([`${option} please`, 'en', 'A', 'pick', i]);
    out.push([`Let's go with ${number}.`, 'en', 'A', 'pick', i]);
    out.push([`${slot} is great, thank you`, 'en', 'A', 'pick', i]);
    out.push([`Dear Max,\n\nthe ${first} suggestion suits me.\n\nBest regards`, 'en', 'A', 'pick', i]);
    const [eday, ehour, eclock] = A_EN[i]! as [string, string, string];
    out.push([`${eday} at ${ehour} works`, 'en', 'A', 'pick', i]);
    out.push([`${eday} is good for me`, 'en', 'A', 'pick', i]);
    out.push([`${eclock} sounds good`, 'en', 'A', 'pick', i]);
    out.push([`I can do ${eday}.`, 'en', 'A', 'pick', i]);
    out.push([`${eday} doesn't work, sorry.`, 'en', 'A', 'unclear']);
    out.push([`Maybe ${eday}? Not sure yet.`, 'en', 'A', 'unclear']);
    out.push([`Vielleicht ${day}, muss ich noch prüfen.`, 'de', 'A', 'unclear']);
  }
  const counters: [string, string, string][] = [
    ['Freitag', 'Friday', '2026-12-11'],
    ['Montag', 'Monday', '2026-12-14'],
  ];
  for (const [de, en, date] of counters) {
    for (const h of [9, 10, 13, 15, 16]) {
      const at = `${date}T${String(h).padStart(2, '0')}:00`;
      out.push([`Keiner der Termine passt, ginge ${de} um ${h} Uhr?`, 'de', 'A', 'counter', at]);
      out.push([`Wie wäre es stattdessen mit ${de}, ${h}:00 Uhr?`, 'de', 'A', 'counter', at]);
      out.push([
        `None of those work – how about ${en} at ${h > 12 ? `${h - 12}pm` : `${h}am`}?`,
        'en',
        'A',
        'counter',
        at,
      ]);
      out.push([`Could we do ${en} ${h}:00 instead?`, 'en', 'A', 'counter', at]);
    }
  }
  // Offer B has two slots on Tuesday: a weekday alone is not enough there, a part of the day or hour is.
  const b: [string, 'de' | 'en', ReplyKind, number?][] = [
    ['Dienstag um 9 Uhr passt', 'de', 'pick', 0],
    ['Dienstag früh', 'de', 'pick', 0],
    ['Dienstag, 15 Uhr', 'de', 'pick', 1],
    ['am Dienstagnachmittag', 'de', 'pick', 1],
    ['Freitag vormittag passt mir', 'de', 'pick', 2],
    ['Dienstag geht', 'de', 'unclear'],
    ['den Termin am Freitag bitte', 'de', 'pick', 2],
    ['Lieber den am Nachmittag', 'de', 'pick', 1],
    ['vormittags', 'de', 'unclear'],
    ['Tuesday at 9 is good', 'en', 'pick', 0],
    ['Tuesday 3 pm', 'en', 'pick', 1],
    ['the Friday one', 'en', 'pick', 2],
    ['Tuesday works', 'en', 'unclear'],
    ['morning works', 'en', 'unclear'],
    ['the afternoon slot', 'en', 'pick', 1],
    ['Friday at 10 please', 'en', 'pick', 2],
    ['the 9am one', 'en', 'pick', 0],
    ['15:00 passt', 'de', 'pick', 1],
    ['der mittlere', 'de', 'pick', 1],
    ['the middle one', 'en', 'pick', 1],
    ['der letzte Vorschlag', 'de', 'pick', 2],
    ['erster Termin', 'de', 'pick', 0],
    ['Nummer drei', 'de', 'pick', 2],
    ['Option A', 'en', 'pick', 0],
    ['Die frühere Zeit am Dienstag', 'de', 'pick', 0],
    ['I need to talk to my boss first.', 'en', 'unclear'],
    ['Just a second, checking my calendar – Friday at 10 works.', 'en', 'pick', 2],
    ['At last a time that fits: Friday!', 'en', 'pick', 2],
    ['Geht beides am Dienstag, such dir was aus', 'de', 'unclear'],
    ['Tuesday 9 or 3, both fine', 'en', 'unclear'],
    ['Freitag um 10 Uhr, wie vorgeschlagen', 'de', 'pick', 2],
    ['Fri 10:00 is perfect', 'en', 'pick', 2],
    ['Dienstag 15:00 geht leider nicht, 9 Uhr aber schon', 'de', 'pick', 0],
    ['Not Friday. Tuesday afternoon.', 'en', 'pick', 1],
    ['Dienstagvormittag', 'de', 'pick', 0],
    ['Di. 15 Uhr', 'de', 'pick', 1],
    ['Tuesday, but not the morning', 'en', 'pick', 1],
  ];
  for (const [text, lang, kind, value] of b) out.push([text, lang, 'B', kind, value]);
  for (const [text, lang] of [
    ['Abwesenheitsnotiz: Ich bin ab dem 14.12. wieder im Büro.', 'de'],
    ['Out of office until Monday 14 December.', 'en'],
    ['Automatic reply: I am away until 4 January and have no access to email.', 'en'],
    ['Vielen Dank für Ihre E-Mail. Ich bin vom 7.12. bis 18.12. nicht erreichbar.', 'de'],
  ] as const)
    out.push([text, lang, 'A', 'auto_reply']);
  for (const [text, lang] of [
    ['Danke, aber wir brauchen das nicht mehr.', 'de'],
    ['Bitte keine weiteren E-Mails.', 'de'],
    ['Kein Bedarf, danke.', 'de'],
    ['We decided to go with another vendor.', 'en'],
    ['No longer needed, thanks.', 'en'],
    ['Please remove me from your list.', 'en'],
    ['Keiner der Termine geht, tut mir leid.', 'de'],
    ['None of the slots suit me unfortunately.', 'en'],
  ] as const)
    out.push([text, lang, 'A', 'decline']);
  for (const [text, lang] of [
    ['Danke!', 'de'],
    ['Thanks, noted.', 'en'],
    ['Ich muss erst meinen Chef fragen.', 'de'],
    ['Let me check with my team first.', 'en'],
    ['Was kostet das denn?', 'de'],
    ['Could you send the brochure first?', 'en'],
    ['Mittwoch oder Donnerstag, beides okay', 'de'],
    ['Tuesday or Wednesday, whichever suits you', 'en'],
  ] as const)
    out.push([text, lang, 'A', 'unclear']);
  for (const phrase of [
    'Bitte rufen Sie mich an.',
    'Können Sie mich anrufen?',
    'Am besten telefonisch.',
    'Call me please.',
    'Can you phone me?',
    'Give me a ring when you can.',
  ]) {
    out.push([phrase, /[äöüß]|Sie|Am /.test(phrase) ? 'de' : 'en', 'A', 'call_me']);
  }
  return out;
}

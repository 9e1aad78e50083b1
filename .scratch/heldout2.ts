import { answerReply, answerOffer, OfferQuestion, ReplyQuestion } from '../src/scheduling/checks.ts';
const offered = [
  { start: '2026-12-08T10:00:00+01:00', end: '2026-12-08T10:30:00+01:00' },
  { start: '2026-12-09T14:00:00+01:00', end: '2026-12-09T14:30:00+01:00' },
  { start: '2026-12-10T11:30:00+01:00', end: '2026-12-10T12:00:00+01:00' },
];
const replies = [
  'Sehr geehrter Herr Vertrieb, gerne bestätige ich den Termin am Mittwoch, 9. Dezember um 14:00 Uhr.',
  'I\'d like to book the Tuesday slot please',
  'Tuesday 8th at 10 works great',
  'Können wir den ersten nehmen?',
  'Hallo! 11:30 am Donnerstag klingt perfekt.',
  'ich nehm die 3',
  'Mir passt Variante zwei am besten.',
  'Ginge auch der Donnerstag? Dann nehme ich den.',
  'Ja, der Dienstag passt.',
  'Yes - Wednesday!',
  'Confirming Thursday 10 Dec, 11:30.',
  'Morgen früh passt mir',
  'Übermorgen um 14 Uhr passt',
  'Der Termin am Mittwoch um 14 Uhr wäre mir recht, aber nur falls der Dienstag nicht mehr frei ist.',
  'Tuesday is fine but Wednesday would be better',
  'Alle drei gehen',
  'All three work for me',
  'Mittwoch geht, Donnerstag auch',
  'Bitte den 2. Termin',
  'Der 2. passt',
  'Am 2. Termin kann ich.',
  'Nehme Termin #1',
  'Slot 3 ✅',
  '👍 Option 2',
  'Thu works',
  'donnerstag',
  'Ich bin am Dienstag im Urlaub, Mittwoch passt',
  'Am Dienstag bin ich nicht da. Der Mittwoch passt.',
  'leider habe ich am Mittwoch keine Zeit, aber Donnerstag um halb zwölf klappt',
  'Ich würde gerne auf Freitag, den 11.12. um 10:00 Uhr ausweichen.',
  'Wäre es möglich, das Gespräch auf nächsten Montag zu verschieben? Vormittags wäre gut.',
  'Could we move it to Friday afternoon, say 3pm?',
  'Hi, I can\'t make any of these. Is the following week possible?',
  'Ich melde mich, sobald ich meinen Kalender geprüft habe.',
  'Sorry, who is this?',
  'Bitte nehmen Sie mich aus dem Verteiler.',
  'Rufen Sie mich am besten mobil an.',
  'A quick call would be easier.',
  'Der erste Termin ist leider schon belegt, der zweite geht.',
  'Option 1 geht nicht, 2 geht.',
];
for (const [i, text] of replies.entries()) {
  const a = answerReply(ReplyQuestion.parse({ id: i, text, now: '2026-12-07T09:00:00+01:00', zone: 'Europe/Berlin', offered }));
  console.log(`${a.kind.padEnd(9)} ${String(a.choice).padEnd(4)} ${a.counter?.start ?? ''} | ${text}`);
}
const notes = [
  'Hr. Beispiel bittet um Rückruf, am besten Di/Do', 'Erreichbar Mo–Fr 8–12 Uhr', 'Rückruf nach 13:00', 'bitte ab 15 h',
  'Prefers Tue/Thu afternoons', 'avail. after 2:30pm', 'ab Mitte nächster Woche', 'nicht vor dem 20.', 'zwischen Weihnachten und Neujahr',
  'ab dem neuen Jahr', 'early next year', 'not until mid-January', 'Anfang KW 3', 'Donnerstags ab 10', 'Mittwochs geht gar nicht',
  'nur nachmittags, nicht freitags', 'any weekday except Wed', 'vormittags außer Montag', 'Dienstag oder Mittwoch, jeweils vormittags',
  'Freitag ist ihr freier Tag', 'in der Woche vor Weihnachten', 'Ende nächster Woche', 'bis Mittwoch keine Zeit', 'after the 15th',
  'sometime the week of January 11',
];
for (const [i, note] of notes.entries()) {
  const a = answerOffer(OfferQuestion.parse({ id: i, note, now: '2026-12-07T09:00:00+01:00', zone: 'Europe/Berlin' }));
  console.log(`${JSON.stringify(a.wishes)} ${a.slots.map((s) => new Date(s.start).toLocaleString('de-DE', { timeZone: 'Europe/Berlin', weekday: 'short', day: 'numeric', month: 'numeric', hour: '2-digit', minute: '2-digit' })).join(' | ')} <= ${note}`);
}

import { answerReply, answerOffer, OfferQuestion, ReplyQuestion } from '../src/scheduling/checks.ts';
const offered = [
  { start: '2026-12-08T10:00:00+01:00', end: '2026-12-08T10:30:00+01:00' },
  { start: '2026-12-09T14:00:00+01:00', end: '2026-12-09T14:30:00+01:00' },
  { start: '2026-12-10T11:30:00+01:00', end: '2026-12-10T12:00:00+01:00' },
];
const replies = process.argv[2] === 'n' ? [] : [
  'Guten Tag Herr Vertrieb, vielen Dank für die Terminvorschläge. Der Mittwoch passt bei mir sehr gut. Beste Grüße',
  'hi, wed 2pm is fine by me',
  'Ich würde Donnerstag nehmen.',
  'Perfekt, dann sehen wir uns am Dienstag!',
  'ok for tuesday',
  'Thursday pls',
  'Passt! Nr 1',
  'Lieber Herr Vertrieb, ich entscheide mich für Termin Nummer zwei.',
  'wednesday would be grand',
  'see you on the 10th',
  'Bis Donnerstag dann!',
  'Donnerstags um halb 12 geht',
  'Am Dienstag kann ich leider nicht, Mittwoch oder Donnerstag gehen beide.',
  'Tues is out, Weds works',
  'I am free on Thursday at 11:30 so that works',
  'The Wednesday slot suits me, thank you',
  'Ich bin am Mittwoch verfügbar.',
  'Gerne, ich nehme den Termin am 8.12.',
  '1',
  'Zweiter!',
  'Hallo,\n\nMittwoch 14 Uhr ist notiert.\n\nGruß',
  'Sounds good. Let\'s do the first.',
  'None of the three, sorry. Next Tuesday at 10?',
  'Die Termine passen leider alle nicht. Ginge der 14.12. um 10 Uhr?',
  'Könnten wir auf Freitag 9:30 ausweichen?',
  'How about the 11th at 2pm?',
  'Hmm, gar keiner. Rufen Sie mich bitte an, 0171 1234567',
  'Bitte telefonisch, danke',
  'Danke, kein Bedarf mehr',
  'Abwesend bis 11.12.',
  'Thursday could work but let me double check',
  'Dienstag wäre möglich, Mittwoch auch',
  'Let me confer with my colleague and get back to you',
  'first thing: thanks for the quick reply! Wednesday works',
  'Thanks for your mail on Monday. Thursday is good.',
  'wie letztes Mal, Donnerstag',
  'Dienstag 10 Uhr – hatte ich mir schon vorgemerkt!',
  'the second works, or the third as backup',
  'Donnerstag, oder notfalls Mittwoch',
  'Mittwoch ist super, alternativ Donnerstag',
];
for (const [i, text] of replies.entries()) {
  const a = answerReply(ReplyQuestion.parse({ id: i, text, now: '2026-12-07T09:00:00+01:00', zone: 'Europe/Berlin', offered }));
  console.log(`${a.kind.padEnd(9)} ${String(a.choice).padEnd(4)} ${a.counter?.start ?? ''} | ${text.replace(/\n/g, ' ')}`);
}
const notes = process.argv[2] === 'r' ? [] : [
  'Kunde ist nur dienstags und donnerstags im Büro', 'Rückruf gewünscht, gern gegen Mittag', 'möchte ab 16 Uhr angerufen werden',
  'bevorzugt frühe Termine', 'prefers late afternoons', 'only available before lunch', 'ab dem 4. Januar', 'erst nach dem Jahreswechsel',
  'KW 02', 'in 3 weeks', 'not on Mon/Fri', 'Mo-Mi vormittags', 'werktags ab 9', 'keine Termine am Freitag nachmittag',
  'Tuesday or Thursday, but not before 11', 'sometime next month', 'irgendwann im Januar', 'bitte nach 14:30', 'Zeitfenster 9-10 Uhr',
  'nicht zwischen 12 und 14 Uhr', 'Anfang Februar', 'mid-January would suit', 'ab KW 3', 'end of the month', 'nächsten Dienstag',
];
for (const [i, note] of notes.entries()) {
  const a = answerOffer(OfferQuestion.parse({ id: i, note, now: '2026-12-07T09:00:00+01:00', zone: 'Europe/Berlin' }));
  console.log(`${JSON.stringify(a.wishes)} ${a.slots.map((s) => new Date(s.start).toLocaleString('de-DE', { timeZone: 'Europe/Berlin', weekday: 'short', day: 'numeric', month: 'numeric', hour: '2-digit', minute: '2-digit' })).join(' | ')} <= ${note}`);
}

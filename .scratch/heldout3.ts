import { answerReply, ReplyQuestion } from '../src/scheduling/checks.ts';
const offered = [
  { start: '2026-12-08T10:00:00+01:00', end: '2026-12-08T10:30:00+01:00' },
  { start: '2026-12-09T14:00:00+01:00', end: '2026-12-09T14:30:00+01:00' },
  { start: '2026-12-10T11:30:00+01:00', end: '2026-12-10T12:00:00+01:00' },
];
const replies = [
  'Hi Max, Wednesday at 2 works perfectly for me. Talk then!',
  'Thanks! I\'ll take option two.',
  'Great, put me down for Thursday.',
  'The earliest one suits me best.',
  'Either Tuesday or Thursday is fine with me, you choose.',
  'Tuesday\'s no good, but I can do Wednesday.',
  'Hmm, how about Friday morning instead?',
  'I\'m on holiday until the 14th, sorry.',
  'can we make it the 10th at 11:30?',
  'I can\'t do Tuesday or Wednesday. Thursday is fine.',
  'Wednesday, 9 December, 14:00 – see you then',
  'Please book me in for the second slot.',
  'Let\'s say Thursday.',
  'Neither Tuesday nor Wednesday work; Thursday does.',
  'I prefer the third option',
  'Second works. Actually, make it the third.',
  'Option 1 sounds good, or if not possible option 3',
  'How about 4pm on Wednesday?',
  'What time works for you on Friday?',
  'Let\'s talk on the phone instead.',
  'I\'m no longer interested.',
  'Wednesday is my only option.',
  'Im Moment ist es schlecht, melde mich im Januar.',
  'Gut, dann Mittwoch 14 Uhr. Bis dann!',
  'Der Donnerstag um 11.30 Uhr passt perfekt.',
  'Dienstag 10:00 bestätigt.',
  'Ich hätte am Mittwoch Zeit.',
  'Zweiter Termin ist perfekt',
  'Lieber am Nachmittag, also Mittwoch.',
  'Mittwoch wäre toll, falls das noch geht.',
  'Danke für die Termine, Dienstag klappt leider nicht, die anderen beiden gehen.',
  'Gerne am Donnerstag – aber lieber etwas später, so gegen 15 Uhr?',
  'Am Freitag um 9 hätte ich noch Zeit, sonst geht nichts.',
  'Passt alles nicht, nächste Woche wieder.',
  'Bitte rufen Sie mich morgen zwischen 10 und 12 an.',
];
for (const [i, text] of replies.entries()) {
  const a = answerReply(ReplyQuestion.parse({ id: i, text, now: '2026-12-07T09:00:00+01:00', zone: 'Europe/Berlin', offered }));
  console.log(`${a.kind.padEnd(9)} ${String(a.choice).padEnd(4)} ${a.counter?.start ?? ''} | ${text}`);
}

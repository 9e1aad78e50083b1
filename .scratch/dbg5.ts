import { readMentions } from '../src/scheduling/mentions.ts';
import { readReply } from '../src/scheduling/reply.ts';
const t = ' mir passt variante zwei am besten. ';
console.log(JSON.stringify(readMentions(t)));
console.log(JSON.stringify(readReply('Mir passt Variante zwei am besten.', [{ start: '2026-12-08T09:00:00Z', end: '2026-12-08T09:30:00Z' }, { start: '2026-12-09T13:00:00Z', end: '2026-12-09T13:30:00Z' }], { timeZone: 'Europe/Berlin', now: new Date('2026-12-07T08:00:00Z') })));

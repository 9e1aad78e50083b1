import { readMentions } from '/work/wt-scheduling/src/scheduling/mentions.ts';
import { parsePreferences } from '/work/wt-scheduling/src/scheduling/preferences.ts';
import { DateTime } from '/work/wt-scheduling/node_modules/luxon/src/luxon.js';
for (const t of [' am 15.12. um 13 uhr hätte ich zeit. ', ' dec 9 works ', ' maybe thursday, i\'ll confirm tomorrow. ']) console.log(t, JSON.stringify(readMentions(t)));
console.log(JSON.stringify(parsePreferences('after Easter', { today: DateTime.fromISO('2026-12-07T09:00', { zone: 'Europe/Berlin' }) })));

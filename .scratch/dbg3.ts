import { readPeriods } from '../src/scheduling/periods.ts';
import { canonicalise, normalise } from '../src/scheduling/lexicon.ts';
import { DateTime } from '/work/wt-scheduling/node_modules/luxon/src/luxon.js';
const t = DateTime.fromISO('2026-12-07T09:00', { zone: 'Europe/Berlin' });
for (const s of ['after Easter', 'nach Ostern', 'übermorgen']) console.log(JSON.stringify(canonicalise(normalise(s))), JSON.stringify(readPeriods(canonicalise(normalise(s)), t)));

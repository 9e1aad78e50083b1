import { parsePreferences } from '../src/scheduling/preferences.ts';
console.log(JSON.stringify(parsePreferences('frühestens um 11 Uhr')), JSON.stringify(parsePreferences('frühestens 11 Uhr')));

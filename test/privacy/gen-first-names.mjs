import { de, en, de_AT, de_CH } from '@faker-js/faker';
const names = new Set();
for (const loc of [de, en, de_AT, de_CH]) {
  const fn = loc.person?.first_name;
  if (!fn) continue;
  const lists = Array.isArray(fn) ? [fn] : Object.values(fn);
  for (const l of lists) for (const n of l) if (/^[A-ZÄÖÜ][a-zäöüßéèáàëïç'-]+$/.test(n)) names.add(n);
}
const sorted = [...names].sort();
const chunks = [];
for (let i = 0; i < sorted.length; i += 12) chunks.push('  ' + sorted.slice(i, i + 12).map((n) => `'${n.replace(/'/g, "\\'")}'`).join(', ') + ',');
console.log(`/**\n * First names (German, Austrian, Swiss, English) that start a "Firstname Lastname" pair in free text.\n * Generated once from @faker-js/faker's locale data (${sorted.length} names); regenerate with\n * test/privacy/gen-first-names.mjs when the locales change.\n */\nexport const FIRST_NAMES: ReadonlySet<string> = new Set([\n${chunks.join('\n')}\n]);`);

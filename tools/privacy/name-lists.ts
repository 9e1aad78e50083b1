// Generates src/privacy/data/first-names.txt and last-names.txt from the person data of every
// @faker-js/faker locale (about 60 languages and scripts), so the detector's name evidence covers
// origins nobody listed by hand, and runtime does not need faker (a devDependency).
// Reproducible: `node tools/privacy/name-lists.ts` rewrites both files from the installed faker.
import { allLocales } from '@faker-js/faker';
import { writeFileSync } from 'node:fs';

/** Every string in a locale's value, however deeply it is grouped (generic/female/male, weighted). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** One lower-case NFC token a line: multi-word entries split, particles and initials dropped. */
function tokens(entries: string[]): string[] {
  const out = new Set<string>();
  for (const entry of entries) {
    for (const token of entry
      .normalize('NFC')
      .toLowerCase()
      .split(/[\s,]+/)) {
      const t = token.replace(/^[-'’.]+|[-'’.]+$/g, '');
      if ([...t].length >= 2 && /\p{L}/u.test(t) && !/\d/.test(t)) out.add(t);
    }
  }
  return [...out].sort();
}

const first: string[] = [];
const last: string[] = [];
for (const locale of Object.values(allLocales)) {
  const person = (locale as { person?: Record<string, unknown> }).person;
  if (!person) continue;
  first.push(...strings(person.first_name), ...strings(person.middle_name));
  last.push(...strings(person.last_name));
}
const dir = new URL('../../src/privacy/data/', import.meta.url);
for (const [file, list] of [
  ['first-names.txt', tokens(first)],
  ['last-names.txt', tokens(last)],
] as const) {
  writeFileSync(new URL(file, dir), `${list.join('\n')}\n`);
  console.log(`${file}: ${list.length} names`);
}

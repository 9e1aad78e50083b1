import { readFileSync } from 'node:fs';

/**
 * Organisations and products named in business notes: the capitalised run before a legal form
 * ("Nordlicht Kft.", "Vesi Oy", "Brouwer NV") is a company, and a known make or manufacturer names a
 * product or a company, not a person. Lists are data (data/legal-forms.txt, data/brands.txt).
 */
function lines(file: string): string[] {
  const text = readFileSync(new URL(`./data/${file}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

let brands: ReadonlySet<string> | undefined;
let legalForm: RegExp | undefined;

/** A make or manufacturer, as written ("Škoda", "Bosch"). */
export function isBrand(word: string): boolean {
  return (brands ??= new Set(lines('brands.txt'))).has(word);
}

let firstWords: ReadonlySet<string> | undefined;

/** Whether a word can open a legal form ("GmbH", "Kft", "Oy", "sp"): the cheap test before the regex. */
export function opensLegalForm(word: string): boolean {
  firstWords ??= new Set(lines('legal-forms.txt').map((f) => f.split(/[ .]/)[0]!));
  return firstWords.has(word);
}

/** A legal form (with "& Co." before it, or none) right at the start of `after`. */
export function legalFormStarts(after: string): boolean {
  legalForm ??= new RegExp(
    `^[ ,]*(?:&\\s?(?:Co\\.?|Partner|Söhne|Sons)\\s)?(?:${lines('legal-forms.txt')
      .sort((a, b) => b.length - a.length)
      .map((f) => f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/ /g, '\\s?'))
      .join('|')})(?![\\p{L}\\p{N}])`,
    'u',
  );
  return legalForm.test(after);
}

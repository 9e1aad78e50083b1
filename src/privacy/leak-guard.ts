import { createHash } from 'node:crypto';
import type { OutboundScanner } from '../ports.ts';
import { fold } from './text.ts';
import { recognise } from './recognisers.ts';

/**
 * The last check before text leaves for an LLM: any known value of the job (in any spelling) or any
 * recogniser hit is a finding, and the connector refuses to send (fail closed). Placeholders are
 * ignored; so is our own prompt wording, which the recognisers do not match.
 */
const PLACEHOLDER = /\[\[[A-Z]+_\d+\]\]/g;
/** Folded (any script, any spelling: see text.ts) and reduced to words, so "Müller", "Mueller" and "Muller" meet. */
const words = (s: string) => ` ${wordsOnly(fold(s))} `;

// ASCII word characters: letters, digits and @ . _ % + - (what an address or a number keeps).
const ASCII_WORD = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._%+-')
  ASCII_WORD[c.charCodeAt(0)] = 1;
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;

/**
 * Every run of characters that are not letters, digits or @ . _ % + - becomes one space: what
 * `text.replace(/[^\p{L}\p{N}@._%+-]+/gu, ' ')` gives, in a loop over the characters (that regex
 * took about 30 ns a character, a third of the guard's time on a prompt).
 */
export function wordsOnly(text: string): string {
  let out = '';
  let from = 0;
  let gap = false;
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    const cp = c < 128 ? c : text.codePointAt(i)!;
    const word = c < 128 ? ASCII_WORD[c] === 1 : LETTER_OR_DIGIT.test(String.fromCodePoint(cp));
    if (!word && !gap) out += `${text.slice(from, i)} `;
    if (word && gap) from = i;
    gap = !word;
    i += cp > 0xffff ? 2 : 1;
  }
  return gap ? out : out + text.slice(from);
}

// The template's parts are the same for every request of a flow and language: folded once each.
// Folding works character by character, so folding the parts apart and joining them with one space
// gives what folding the joined text gives.
const foldedParts = new Map<string, string>();
export function templateWords(parts: readonly string[]): string {
  const folded = parts.map((part) => {
    let f = foldedParts.get(part);
    if (f === undefined) {
      if (foldedParts.size >= 256) foldedParts.clear();
      f = words(part).trim();
      foldedParts.set(part, f);
    }
    return f;
  });
  return ` ${folded.filter(Boolean).join(' ')} `;
}

export function createLeakGuard(
  knownValues: Iterable<string>,
  options: { template?: readonly string[] } = {},
): OutboundScanner {
  // A surname that is also a word of our own template ("Sales", "Koch") would flag every request;
  // the template is ours, so such values are left to the pseudonymiser alone.
  const template = options.template ? templateWords(options.template) : '';
  const needles: string[] = [];
  const digitRuns: string[] = [];
  for (const raw of knownValues) {
    const v = raw?.trim();
    if (!v || v.length < 2) continue;
    const digits = v.replace(/\D/g, '');
    // Phone-like values: compare the significant digits whatever the formatting.
    if (digits.length >= 6 && digits.length >= v.replace(/[\s()+./-]/g, '').length - 1)
      digitRuns.push(digits.replace(/^(?:0049|49|0)/, ''));
    else {
      const needle = words(v).trim();
      if (needle && !template.includes(` ${needle} `)) needles.push(needle);
    }
  }
  return (text: string) => {
    const clean = text.replace(PLACEHOLDER, ' ');
    const findings: string[] = [];
    const scan = scanOf(clean);
    if (needles.length > 0) {
      const folded = scan.words();
      for (const needle of needles) {
        // Also in the genitive ("Annas Angebot", "Anna's offer": the apostrophe folds to a space).
        if (folded.includes(` ${needle} `) || folded.includes(` ${needle}s `)) findings.push('KNOWN_VALUE');
      }
    }
    if (digitRuns.length > 0) {
      const digits = scan.digits();
      for (const d of digitRuns) if (d.length >= 6 && digits.includes(d)) findings.push('KNOWN_VALUE');
    }
    findings.push(...scan.types());
    return findings;
  };
}

/** What the guard reads off a text whatever the request: its words, its digits, the recognisers' hits. */
interface TextScan {
  words(): string;
  digits(): string;
  types(): readonly string[];
}

// A flow's system prompt is the same text for every request (values are placeholders, cut out
// above): its scan is kept, under the text's hash, once the same text has come twice. A request's
// own text comes once and is kept nowhere; no text is kept at all, only what was read off it.
const seenTexts = new Set<string>();
const keptScans = new Map<string, TextScan>();

function scanOf(clean: string): TextScan {
  const hash = createHash('sha256').update(clean).digest('base64');
  const kept = keptScans.get(hash);
  if (kept) return kept;
  const scan = lazyScan(clean);
  if (seenTexts.has(hash)) {
    if (keptScans.size >= 64) keptScans.clear();
    // Read everything now: the kept scan must not hold on to the text.
    const done = { words: scan.words(), digits: scan.digits(), types: scan.types() };
    const fixed: TextScan = { words: () => done.words, digits: () => done.digits, types: () => done.types };
    keptScans.set(hash, fixed);
    return fixed;
  }
  if (seenTexts.size >= 1_024) seenTexts.clear();
  seenTexts.add(hash);
  return scan;
}

function lazyScan(clean: string): TextScan {
  let w: string | undefined;
  let d: string | undefined;
  let t: readonly string[] | undefined;
  return {
    words: () => (w ??= words(clean)),
    digits: () => (d ??= clean.replace(/\D/g, '')),
    types: () => (t ??= recognise(clean).map((span) => span.type)),
  };
}

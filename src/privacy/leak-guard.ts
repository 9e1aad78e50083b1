import type { OutboundScanner } from '../ports.ts';
import { fold } from './text.ts';
import { recognise } from './recognisers.ts';

/**
 * The last check before text leaves for an LLM: any known value of the job (in any spelling) or any
 * recogniser hit is a finding, and the connector refuses to send (fail closed). Placeholders are
 * ignored; so is our own prompt wording, which the recognisers do not match.
 */
const PLACEHOLDER = /\[\[[A-Z]+_\d+\]\]/g;
const NOT_WORD = /[^\p{L}\p{N}@._%+-]+/gu;

/** Folded (any script, any spelling: see text.ts) and reduced to words, so "Müller", "Mueller" and "Muller" meet. */
const words = (s: string) => ` ${fold(s).replace(NOT_WORD, ' ')} `;

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

export function createLeakGuard(knownValues: Iterable<string>, options: { template?: readonly string[] } = {}): OutboundScanner {
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
    if (digits.length >= 6 && digits.length >= v.replace(/[\s()+./-]/g, '').length - 1) digitRuns.push(digits.replace(/^(?:0049|49|0)/, ''));
    else {
      const needle = words(v).trim();
      if (needle && !template.includes(` ${needle} `)) needles.push(needle);
    }
  }
  return (text: string) => {
    const clean = text.replace(PLACEHOLDER, ' ');
    const findings: string[] = [];
    if (needles.length > 0) {
      const folded = words(clean);
      for (const needle of needles) {
        // Also in the genitive ("Annas Angebot", "Anna's offer": the apostrophe folds to a space).
        if (folded.includes(` ${needle} `) || folded.includes(` ${needle}s `)) findings.push('KNOWN_VALUE');
      }
    }
    if (digitRuns.length > 0) {
      const digits = clean.replace(/\D/g, '');
      for (const d of digitRuns) if (d.length >= 6 && digits.includes(d)) findings.push('KNOWN_VALUE');
    }
    for (const span of recognise(clean)) findings.push(span.type);
    return findings;
  };
}

import { Writable } from 'node:stream';
import fc from 'fast-check';

/**
 * fast-check settings for the fuzz suites: a fixed seed in `npm test` (reproducible), more runs on
 * demand with FUZZ_RUNS=10000 (and FUZZ_SEED to explore other inputs).
 */
export function fuzzParams(defaultRuns: number): fc.Parameters<unknown> {
  const runs = Number(process.env.FUZZ_RUNS ?? defaultRuns);
  return { numRuns: runs, seed: Number(process.env.FUZZ_SEED ?? 20261129) };
}

/** Where a log line shows up for the echo checks. */
export function logSink(): { sink: Writable; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { sink, lines };
}

/** String leaves (and keys) of a JSON value that are distinctive enough to recognise if echoed. */
export function distinctiveStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.length >= 8 && /\p{L}{3}/u.test(value)) out.push(value);
  } else if (Array.isArray(value)) {
    for (const v of value) distinctiveStrings(v, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      // Keys count when they look like data (a name, an address), not like a field name in a URL.
      if (/[\s@]/.test(k)) distinctiveStrings(k, out);
      distinctiveStrings(v, out);
    }
  }
  return out;
}

/** A value that looks like a person's data, so an echo of it into a log would matter. */
export const personalString = fc
  .tuple(
    fc.constantFrom('Erika', 'Jonas', 'Miriam', 'Harriet', 'Desmond'),
    fc.stringMatching(/^[A-Z][a-z]{5,10}$/),
    fc.constantFrom('', '@example.com', ' +49 30 1234567'),
  )
  .map(([a, b, c]) => (c.startsWith('@') ? `${a.toLowerCase()}.${b.toLowerCase()}${c}` : `${a} ${b}${c}`));

/** Per-test timeout: generous in `npm test` for a loaded machine, an hour in the long mode. */
export const FUZZ_TIMEOUT = process.env.FUZZ_RUNS ? 3_600_000 : 120_000;

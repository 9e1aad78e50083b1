import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parsePolicy, PolicyError } from '../../src/policy.ts';
import { FUZZ_TIMEOUT, fuzzParams } from './support.ts';

/** The policy parser either returns a policy or throws PolicyError naming file:line:col; nothing else. */
const DEFAULT_TEXT = readFileSync(new URL('../../config/policy.yaml', import.meta.url), 'utf8');
const DEFAULT_RAW = parse(DEFAULT_TEXT) as Record<string, unknown>;

function parses(text: string): void {
  try {
    parsePolicy(text, 'fuzz.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    const problems = (err as PolicyError).problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p).toMatch(/^fuzz\.yaml/);
  }
}

/** Every path into a plain YAML value, for mutations. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}
const ALL_PATHS = paths(DEFAULT_RAW).filter((p) => p.length > 0);

function setIn(root: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

describe('fuzz: policy parser', { timeout: FUZZ_TIMEOUT }, () => {
  it('arbitrary text: a policy or a PolicyError with locations, never another exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.jsonValue().map((v) => stringify(v) as string),
        ),
        (text) => parses(text),
      ),
      fuzzParams(300),
    );
  });

  it('the default policy with one value replaced, removed or retyped: a policy or a PolicyError', () => {
    const replacement = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue(),
      fc.constantFrom('1d', '0s', '-5m', '99999999d', 'auto', 'local', 'block', '', 'de', null),
    );
    fc.assert(
      fc.property(fc.constantFrom(...ALL_PATHS), replacement, (path, value) =>
        parses(stringify(setIn(DEFAULT_RAW, path, value))),
      ),
      fuzzParams(400),
    );
  });
});

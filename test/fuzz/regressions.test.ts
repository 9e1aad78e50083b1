import { describe, expect, it } from 'vitest';
import { pseudonymiseLine } from '../../src/cli/pseudonymise.ts';
import { parsePolicy, PolicyError } from '../../src/policy.ts';
import { defaultPolicy } from '../support/env.ts';

/** Shrunk counterexamples the fuzz suites found, kept as fixed cases. */
describe('fuzz regressions', () => {
  it('policy text with an alias to a missing anchor ("*!") is a PolicyError, not a ReferenceError', () => {
    expect(() => parsePolicy('*!', 'fuzz.yaml')).toThrow(PolicyError);
    expect(() => parsePolicy('a: *nowhere\n', 'fuzz.yaml')).toThrow(/fuzz\.yaml/);
  });

  it('pseudonymise: a contact key holding a name is masked in the error line, never echoed', () => {
    const out = pseudonymiseLine(JSON.stringify({ text: 'x', contact: { 'Erika Aaaaaa': [] } }), defaultPolicy());
    expect(out).toEqual({ error: 'contact.<key>: Invalid input' });
    expect(JSON.stringify(out)).not.toContain('Erika');
  });
});

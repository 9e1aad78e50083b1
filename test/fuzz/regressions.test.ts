import { describe, expect, it } from 'vitest';
import { pseudonymiseLine } from '../../src/cli/pseudonymise.ts';
import { parsePolicy, PolicyError } from '../../src/policy.ts';
import { restoreDraft } from '../../src/privacy/reidentify.ts';
import { defaultPolicy } from '../support/env.ts';

/** Shrunk counterexamples the fuzz suites found, kept as fixed cases. */
describe('fuzz regressions', () => {
  it('policy text with an alias to a missing anchor ("*!") is a PolicyError, not a ReferenceError', () => {
    expect(() => parsePolicy('*!', 'fuzz.yaml')).toThrow(PolicyError);
    expect(() => parsePolicy('a: *nowhere\n', 'fuzz.yaml')).toThrow(/fuzz\.yaml/);
  });

  it('pseudonymise: a contact key holding a name is masked in the error line, never echoed', () => {
    const out = pseudonymiseLine(
      JSON.stringify({ text: 'x', contact: { 'Erika Aaaaaa': [] } }),
      defaultPolicy(),
    );
    expect(out).toEqual({ error: 'contact.<key>: Invalid input' });
    expect(JSON.stringify(out)).not.toContain('Erika');
  });

  it('re-identification: a CRM value that looks like a mangled placeholder never lands in the draft', () => {
    const result = restoreDraft({
      subject: '',
      body: '[[ADDRESS_3]]',
      mapping: { '[[ADDRESS_3]]': 'Anna [[ PHONE 1 ]]' },
      required: [],
      allowedLinks: [],
    });
    expect(result).toMatchObject({ ok: false, reason: 'residual_placeholder' });
    expect(
      restoreDraft({
        subject: '',
        body: 'Hallo [[PERSON_1]]',
        mapping: { '[[PERSON_1]]': 'Anna [1]' },
        required: [],
        allowedLinks: [],
      }),
    ).toMatchObject({ ok: true, body: 'Hallo Anna [1]' });
  });
});

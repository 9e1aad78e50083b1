import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { restoreDraft } from '../../src/privacy/reidentify.ts';
import { FUZZ_TIMEOUT, fuzzParams } from './support.ts';

/**
 * Re-identification on arbitrary model output: whatever the model wrote (placeholders intact, mangled,
 * invented, or none) and whatever the CRM values are, a restored draft never keeps a placeholder.
 */
const TYPES = ['PERSON', 'EMAIL', 'PHONE', 'COMPANY', 'ADDRESS'] as const;
const placeholder = fc
  .tuple(fc.constantFrom(...TYPES), fc.integer({ min: 1, max: 4 }))
  .map(([t, n]) => `[[${t}_${n}]]`);
const mangled = fc
  .tuple(
    fc.constantFrom('PERSON', 'person', 'Name', 'EMAIL', 'Telefon', 'FIRMA', 'company'),
    fc.integer({ min: 0, max: 5 }),
    fc.constantFrom('[[%_#]]', '[%_#]', '{{%_#}}', '<%_#>', '%_#', '[[ % #]]', '[[%-#]]'),
  )
  .map(([t, n, f]) => f.replace('%', t).replace('#', String(n)));
const prose = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'Guten Tag ',
    ', ',
    '\n',
    'Mit freundlichen Grüßen',
    'ISO_9001',
    ' https://example.com/termin ',
    'Dear ',
  ),
);
const text = fc
  .array(fc.oneof(prose, placeholder, mangled), { maxLength: 12 })
  .map((parts) => parts.join(''));
const value = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'Erika Musterfrau',
    'erika@example.com',
    '+49 30 901820',
    '[[PERSON_2]]',
    'PERSON_1',
    '[[EMAIL_1]]',
    '{{PERSON_3}}',
    'Anna [[ PHONE 1 ]]',
  ),
);
const mapping = fc.dictionary(placeholder, value, { maxKeys: 6 });

describe('fuzz: re-identification', { timeout: FUZZ_TIMEOUT }, () => {
  it('a restored draft never contains a placeholder, and a refusal names a reason', () => {
    fc.assert(
      fc.property(text, text, mapping, fc.boolean(), (subject, body, map, requireAll) => {
        const required = requireAll ? Object.keys(map).filter((p) => p.startsWith('[[PERSON')) : [];
        const result = restoreDraft({
          subject,
          body,
          mapping: map,
          required,
          allowedLinks: ['https://example.com/'],
        });
        if (result.ok) {
          expect(result.subject + result.body).not.toMatch(/\[\[\s*[A-Za-z]+[\s_-]*\d+\s*\]\]/);
          for (const p of Object.keys(map)) expect((result.subject + result.body).includes(p)).toBe(false);
        } else {
          expect(result.reason).toMatch(/^[a-z_]+$/);
        }
      }),
      fuzzParams(2000),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { editRatio } from '../../../src/pipeline/edit-tracking.ts';

const draft =
  'Sehr geehrte Frau Musterfrau,\n\nvielen Dank für Ihre Nachricht.\n\nMit freundlichen Grüßen\nMax Vertrieb\n\n-- \nDiese E-Mail wurde mit Unterstützung eines KI-Systems verfasst und von Max Vertrieb geprüft.';

describe('editRatio', () => {
  it('is 0 for the draft sent as it was, whatever Outlook did to line endings and the notice', () => {
    expect(editRatio(draft, draft)).toBe(0);
    expect(editRatio(draft, draft.replace(/\n/g, '\r\n').replace('geprüft.', 'geprüft.\r\n'))).toBe(0);
    expect(editRatio(draft, draft.split('\n-- \n')[0]!)).toBe(0);
  });

  it('grows with the share of the text changed', () => {
    const small = editRatio(draft, draft.replace('Nachricht', 'Anfrage'));
    const large = editRatio(draft, 'Hallo,\n\nich rufe Sie morgen an.\n\nGruß\nMax');
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(0.1);
    expect(large).toBeGreaterThan(0.5);
    expect(large).toBeLessThanOrEqual(1);
    expect(editRatio('', '')).toBe(0);
    expect(editRatio('abc', '')).toBe(1);
  });
});

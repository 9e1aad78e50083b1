import { describe, expect, it } from 'vitest';
import { recognise } from '../../../src/privacy/recognisers.ts';
import { greeting } from '../../../src/privacy/salutation.ts';

describe('academic titles in the salutation (DIN 5008)', () => {
  it.each([
    ['de', 'Frau Prof. Dr.', 'Sehr geehrte Frau Prof. Dr. Muster,'],
    ['de', 'Herr Dr.', 'Sehr geehrter Herr Dr. Muster,'],
    ['de', 'Prof.', 'Guten Tag Prof. Kim Muster,'],
    ['en', 'Ms Dr.', 'Dear Dr. Muster,'],
  ] as const)('%s %s', (lang, salutation, expected) => {
    expect(greeting({ lang, salutation, lastName: 'Muster', fullName: 'Kim Muster' })).toBe(expected);
  });

  it('a title before a placeholder is not taken for a name', () => {
    const clean = (s: string) => s.replace(/\[\[[A-Z]+_\d+\]\]/g, ' ');
    expect(recognise(clean('Sehr geehrter Herr Dr. [[PERSON_3]],'))).toEqual([]);
    expect(recognise(clean('Sehr geehrte Frau Prof. Dr. [[PERSON_5]],'))).toEqual([]);
    expect(recognise('Sehr geehrter Herr Dr. Beispielmann,').map((s) => s.type)).toEqual(['PERSON']);
  });
});

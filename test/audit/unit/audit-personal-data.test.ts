import { describe, expect, it } from 'vitest';
import { findPersonalValues } from '../../../src/audit/personal-data.ts';

describe('audit detail check', () => {
  it('flags phone numbers, addresses and prose, but not the UUIDs the service generates', () => {
    expect(findPersonalValues('+49 30 1234567')).toEqual(['PHONE']);
    expect(findPersonalValues('030-1234567')).toEqual(['PHONE']);
    expect(findPersonalValues('erika@example.com')).toEqual(['EMAIL']);
    // Random request ids whose digit groups look like a phone number (about 1 in 300 UUIDs).
    for (const id of [
      '00955444-7672-4cb0-aaa5-38d1622631e5',
      '528b50b3-0947-4733-80c9-e1b0a18c9d2e',
      '5991f366-d006-4543-9f61-a63595bec535',
    ]) {
      expect(findPersonalValues(id), id).toEqual([]);
    }
    // A phone number wrapped in other text is still found.
    expect(findPersonalValues('id 00955444-7672 call')).toEqual(['PHONE']);
  });
});

import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HmacSha256 } from '../../../src/audit/hmac.ts';

describe('the audit trail’s HMAC-SHA256', () => {
  it('gives what createHmac gives, for keys of every length and any text', () => {
    for (const length of [0, 1, 16, 32, 63, 64, 65, 100]) {
      const key = randomBytes(length);
      const hmac = new HmacSha256(key);
      for (const message of [
        '',
        'event\n{"a":1}',
        'Grüße, Łódź 😀 '.repeat(50),
        randomBytes(3000).toString('base64'),
      ]) {
        expect(hmac.hex(message)).toBe(createHmac('sha256', key).update(message).digest('hex'));
      }
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareIds } from '../../../src/audit/trail.ts';

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const byBigInt = (a: string, b: string) => {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? (as === bs ? 0 : as < bs ? -1 : 1) : am < bm ? -1 : 1;
};

describe('audit stream id order', () => {
  // Redis stream ids: two unsigned 64-bit decimals; the same millisecond with more digits in its sequence is later.
  const id = fc
    .tuple(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
    .map(([ms, seq]) => `${ms}-${seq}`);
  const near = fc
    .tuple(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_005 }), fc.integer({ min: 0, max: 120 }))
    .map(([ms, seq]) => `${ms}-${seq}`);

  it('orders ids as their numbers do', () => {
    fc.assert(
      fc.property(
        fc.oneof(id, near),
        fc.oneof(id, near),
        (a, b) => sign(compareIds(a, b)) === byBigInt(a, b),
      ),
    );
    expect(compareIds('1700000000000-9', '1700000000000-10')).toBe(-1);
    expect(compareIds('0-0', '0-0')).toBe(0);
    expect(compareIds('99-5', '100-0')).toBe(-1);
  });
});

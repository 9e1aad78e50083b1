import { DateTime, IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { cachedZone } from '../../../src/scheduling/zone-cache.ts';

describe('cached IANA zone (slot finding)', () => {
  it('gives the same offsets and wall-clock times as luxon’s own zone, across DST changes, asked twice', () => {
    for (const name of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata']) {
      const zone = cachedZone(name);
      const plain = IANAZone.create(name);
      // Every 15 minutes over the spring change of 2026 in both hemispheres' zones, and a year of days.
      const instants = [
        ...Array.from({ length: 4 * 24 * 4 }, (_, i) => Date.UTC(2026, 2, 28) + i * 900_000),
        ...Array.from({ length: 4 * 24 * 4 }, (_, i) => Date.UTC(2026, 3, 4) + i * 900_000),
        ...Array.from({ length: 366 }, (_, i) => Date.UTC(2026, 0, 1) + i * 86_400_000),
      ];
      for (let round = 0; round < 2; round++) {
        for (const ts of instants) expect(zone.offset(ts)).toBe(plain.offset(ts));
      }
      const local = DateTime.fromObject({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, { zone });
      expect(local.toMillis()).toBe(
        DateTime.fromObject(
          { year: 2026, month: 3, day: 29, hour: 2, minute: 30 },
          { zone: name },
        ).toMillis(),
      );
      expect(zone.equals(plain)).toBe(true);
      expect(cachedZone(name)).toBe(zone);
    }
  });
});

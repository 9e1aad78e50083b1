import { IANAZone, Zone, type ZoneOffsetFormat, type ZoneOffsetOptions } from 'luxon';

/**
 * An IANA zone whose UTC offsets are remembered per instant. Luxon asks Intl for the offset on
 * nearly every operation (set, plus, setZone, weekday), and formatToParts is slow: slot finding
 * for one draft asked it thousands of times, most of the draft stage's CPU. An offset at a given
 * instant never changes (for the tz data loaded), so the cache is exact; it is bounded and simply
 * starts over when full.
 */
class CachedIanaZone extends Zone {
  private readonly inner: IANAZone;
  private readonly offsets = new Map<number, number>();

  constructor(name: string) {
    super();
    this.inner = IANAZone.create(name);
  }

  override get type(): string {
    return 'iana';
  }

  override get name(): string {
    return this.inner.name;
  }

  override get isUniversal(): boolean {
    return false;
  }

  override get isValid(): boolean {
    return this.inner.isValid;
  }

  override offsetName(ts: number, options: ZoneOffsetOptions): string {
    return this.inner.offsetName(ts, options) ?? '';
  }

  override formatOffset(ts: number, format: ZoneOffsetFormat): string {
    return this.inner.formatOffset(ts, format);
  }

  override offset(ts: number): number {
    let offset = this.offsets.get(ts);
    if (offset === undefined) {
      offset = this.inner.offset(ts);
      if (this.offsets.size >= 20_000) this.offsets.clear();
      this.offsets.set(ts, offset);
    }
    return offset;
  }

  override equals(other: Zone): boolean {
    return other.type === 'iana' && other.name === this.name;
  }
}

const zones = new Map<string, CachedIanaZone>();

/** The cached zone for an IANA name (one per name and process). */
export function cachedZone(name: string): Zone {
  let zone = zones.get(name);
  if (!zone) {
    zone = new CachedIanaZone(name);
    zones.set(name, zone);
  }
  return zone;
}

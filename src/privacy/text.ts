/**
 * Unicode text helpers for the privacy core. A word is any run of letters and combining marks in any
 * script (`\p{L}\p{M}`), so "Nguyễn", "Wiśniewska" or "Yılmaz" are never cut in half, and one folded
 * form ("skeleton") lets a known value match in every spelling a note may use: NFC or NFD,
 * diacritics or none, ä/ae/a, ß/ss, ł/l, ı/İ/i, O'/O’/O, hyphen or space.
 */

/** Letters, marks and digits: what may not touch a placeholder or sit next to a matched word. */
export const WORD_CHAR = /[\p{L}\p{M}\p{N}]/u;
export const isWordChar = (c: string | undefined): boolean => c !== undefined && WORD_CHAR.test(c);

/** Letters with no decomposition to a base letter in NFD. */
const SPECIAL: Record<string, string> = {
  ß: 'ss',
  ẞ: 'ss',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ı: 'i',
  þ: 'th',
  ħ: 'h',
  ŀ: 'l',
};
const APOSTROPHE = /['’ʼ`´‘]/;
const SEPARATOR = /[\s\-‐‑–_]/;
const MARK = /\p{M}/u;

export interface Skeleton {
  /** The folded text: lower case, no marks, ae/oe/ue as a/o/u, apostrophes dropped, one space per separator run. */
  text: string;
  /**
   * For each folded character, where its source starts and ends in the original text. Views of
   * buffers that the next `skeleton` call overwrites: read them before folding another text.
   */
  start: Int32Array;
  end: Int32Array;
}

const MARK_KIND = '\u0000M';
const APOSTROPHE_KIND = '\u0000A';
const SEPARATOR_KIND = '\u0000S';
const kinds = new Map<number, string>();

/** What a non-ASCII character folds to (cached by code point: notes repeat the same few letters). */
function charKind(cp: number): string {
  let kind = kinds.get(cp);
  if (kind === undefined) {
    const ch = String.fromCodePoint(cp);
    if (MARK.test(ch)) kind = MARK_KIND;
    else if (APOSTROPHE.test(ch)) kind = APOSTROPHE_KIND;
    else if (SEPARATOR.test(ch)) kind = SEPARATOR_KIND;
    else {
      kind = '';
      for (const low of ch.toLowerCase()) kind += SPECIAL[low] ?? low.normalize('NFD').replace(/\p{M}/gu, '');
    }
    if (kinds.size > 10_000) kinds.clear();
    kinds.set(cp, kind);
  }
  return kind;
}

// Work buffers of `skeleton`, kept between calls and grown when a longer text comes: allocating and
// zeroing four arrays of three times the text length per call cost more than the folding itself.
let capacity = 0;
let outBuf = new Uint16Array(0);
let startBuf = new Int32Array(0);
let endBuf = new Int32Array(0);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The first `n` UTF-16 code units as a string, lone surrogates kept (TextDecoder would replace them). */
function codeUnitsToString(units: Uint16Array, n: number): string {
  // One native copy; String.fromCharCode over spread chunks took twice as long as the folding loop.
  if (LITTLE_ENDIAN) return Buffer.from(units.buffer, units.byteOffset, n * 2).toString('utf16le');
  let text = '';
  for (let k = 0; k < n; k += 8192) text += String.fromCharCode(...units.subarray(k, Math.min(n, k + 8192)));
  return text;
}

/** Grows the work buffers of `skeleton` to hold at least `cap` folded characters. */
function ensureCapacity(cap: number): void {
  if (cap <= capacity) return;
  capacity = Math.max(cap, capacity * 2);
  outBuf = new Uint16Array(capacity);
  startBuf = new Int32Array(capacity);
  endBuf = new Int32Array(capacity);
}

/**
 * Writes folded character `n` (code `code`, source starting at `at`) to the work buffers, closing the
 * source range of the one before it at `prevEnd`.
 */
function writeFolded(n: number, code: number, at: number, prevEnd: number): void {
  if (n > 0) endBuf[n - 1] = prevEnd;
  outBuf[n] = code;
  startBuf[n] = at;
}

/**
 * ae/oe/ue fold to a/o/u, on both sides of every comparison, so "Mueller", "Müller" and "Muller" meet:
 * an "e" at `at` merges into the a/o/u folded just before it when their sources touch.
 */
function mergesIntoVowel(
  code: number,
  last: number,
  lastMerged: boolean,
  lastStart: number,
  lastEnd: number,
  at: number,
): boolean {
  return (
    code === 101 &&
    !lastMerged &&
    (last === 97 || last === 111 || last === 117) &&
    (lastEnd === at || lastStart === at)
  );
}

/** Folds a text character by character, keeping where each folded character came from. */
export function skeleton(input: string): Skeleton {
  // Hot path (every note, every CRM value): ASCII is handled inline, without regexes or allocations.
  // Buffers sized for the worst case (a character folds to at most three), filled up to `n`. The
  // last folded character is kept in locals (code, range, merged) and written out when the next comes.
  ensureCapacity(input.length * 3 + 1);
  let n = 0;
  let last = -1; // code of the last folded character, -1 before the first
  let lastStart = 0;
  let lastEnd = 0;
  let lastMerged = false;
  const len = input.length;
  for (let i = 0; i < len;) {
    const c = input.charCodeAt(i);
    if (c < 128) {
      if (c === 32 || c === 45 || c === 95 || (c >= 9 && c <= 13)) {
        if (last === 32) lastEnd = i + 1;
        else {
          writeFolded(n, 32, i, lastEnd);
          last = 32;
          lastStart = i;
          lastEnd = i + 1;
          lastMerged = false;
          n++;
        }
      } else if (c === 39 || c === 96) {
        if (last !== 32 && last !== -1) lastEnd = i + 1;
      } else {
        const code = c >= 65 && c <= 90 ? c + 32 : c;
        if (mergesIntoVowel(code, last, lastMerged, lastStart, lastEnd, i)) {
          lastEnd = i + 1;
          lastMerged = true;
        } else {
          writeFolded(n, code, i, lastEnd);
          last = code;
          lastStart = i;
          lastEnd = i + 1;
          lastMerged = false;
          n++;
        }
      }
      i++;
      continue;
    }
    const cp = input.codePointAt(i)!;
    const next = i + (cp > 0xffff ? 2 : 1);
    const kind = charKind(cp);
    if (kind === MARK_KIND) {
      // A combining mark belongs to the letter before it.
      if (last !== -1) lastEnd = next;
    } else if (kind === APOSTROPHE_KIND) {
      if (last !== 32 && last !== -1) lastEnd = next;
    } else if (kind === SEPARATOR_KIND) {
      if (last === 32) lastEnd = next;
      else {
        writeFolded(n, 32, i, lastEnd);
        last = 32;
        lastStart = i;
        lastEnd = next;
        lastMerged = false;
        n++;
      }
    } else {
      for (let k = 0; k < kind.length; k++) {
        const code = kind.charCodeAt(k);
        if (mergesIntoVowel(code, last, lastMerged, lastStart, lastEnd, i)) {
          lastEnd = next;
          lastMerged = true;
        } else {
          writeFolded(n, code, i, lastEnd);
          last = code;
          lastStart = i;
          lastEnd = next;
          lastMerged = false;
          n++;
        }
      }
    }
    i = next;
  }
  if (n > 0) endBuf[n - 1] = lastEnd;
  return { text: codeUnitsToString(outBuf, n), start: startBuf.subarray(0, n), end: endBuf.subarray(0, n) };
}

/** One folded key for every spelling of a value (the same folding as `skeleton`, without positions). */
export function fold(value: string): string {
  // Σ is the one letter whose lower case depends on its neighbours (final ς): the whole-string way.
  if (value.includes('Σ')) return foldWhole(value);
  // Character by character, as `foldWhole` would: every step there is per character except the
  // ae/oe/ue rule, the separator runs and the trim, which are done here while writing.
  const len = value.length;
  if (foldBuffer.length < len * 2 + 8) foldBuffer = new Uint16Array(len * 2 + 8);
  let out = foldBuffer;
  let n = 0;
  let merged = false;
  for (let i = 0; i < len;) {
    const c = value.charCodeAt(i);
    if (c < 128) {
      i++;
      if (c === 39 || c === 96) continue;
      if (c === 32 || c === 45 || c === 95 || (c >= 9 && c <= 13)) {
        if (n > 0 && out[n - 1] !== 32) out[n++] = 32;
        merged = false;
        continue;
      }
      const code = c >= 65 && c <= 90 ? c + 32 : c;
      if (code === 101 && n > 0 && !merged && (out[n - 1] === 97 || out[n - 1] === 111 || out[n - 1] === 117))
        merged = true;
      else {
        out[n++] = code;
        merged = false;
      }
      continue;
    }
    const cp = value.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    const piece = foldPiece(cp);
    if (out.length < n + piece.length + 1) {
      // A character that folds to several ("ß", "þ"): more room, the text so far kept.
      const grown = new Uint16Array((n + piece.length + len - i) * 2 + 8);
      grown.set(out.subarray(0, n));
      foldBuffer = out = grown;
    }
    for (let k = 0; k < piece.length; k++) {
      const code = piece.charCodeAt(k);
      if (code === 32) {
        if (n > 0 && out[n - 1] !== 32) out[n++] = 32;
        merged = false;
      } else if (
        code === 101 &&
        n > 0 &&
        !merged &&
        (out[n - 1] === 97 || out[n - 1] === 111 || out[n - 1] === 117)
      )
        merged = true;
      else {
        out[n++] = code;
        merged = false;
      }
    }
  }
  if (n > 0 && out[n - 1] === 32) n--;
  return n <= 4096
    ? String.fromCharCode.apply(null, out.subarray(0, n) as unknown as number[])
    : codeUnitsToString(out, n);
}

let foldBuffer = new Uint16Array(256);
const foldPieces = new Map<number, string>();

/** What one non-ASCII character folds to in `foldWhole` ("" when dropped, " " for a separator). */
function foldPiece(cp: number): string {
  let piece = foldPieces.get(cp);
  if (piece === undefined) {
    piece = String.fromCodePoint(cp)
      .toLowerCase()
      .replace(/[ßłđðøæœıþħŀ]/g, (c) => SPECIAL[c]!)
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/['’ʼ`´‘]/g, '')
      .replace(/[\s\-‐‑–_]+/g, ' ');
    if (foldPieces.size > 10_000) foldPieces.clear();
    foldPieces.set(cp, piece);
  }
  return piece;
}

/** The folding spelled out on the whole string (the reference `fold` follows). */
export function foldWhole(value: string): string {
  let out = value.toLowerCase();
  // Plain ASCII letters, digits and punctuation need only the separator and ae/oe/ue folding.
  if (!/^[\x20-\x7e]*$/.test(out)) {
    out = out
      .replace(/[ßłđðøæœıþħŀ]/g, (c) => SPECIAL[c]!)
      .normalize('NFD')
      .replace(/\p{M}/gu, '');
    out = out.replace(/['’ʼ`´‘]/g, '').replace(/[\s\-‐‑–_]+/g, ' ');
  } else out = out.replace(/['`]/g, '').replace(/[\s\-_]+/g, ' ');
  return out.replace(/([aou])e/g, '$1').trim();
}

export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
const SPECIAL: Record<string, string> = { ß: 'ss', ẞ: 'ss', ł: 'l', đ: 'd', ð: 'd', ø: 'o', æ: 'ae', œ: 'oe', ı: 'i', þ: 'th', ħ: 'h', ŀ: 'l' };
const APOSTROPHE = /['’ʼ`´‘]/;
const SEPARATOR = /[\s\-‐‑–_]/;
const MARK = /\p{M}/u;

export interface Skeleton {
  /** The folded text: lower case, no marks, ae/oe/ue as a/o/u, apostrophes dropped, one space per separator run. */
  text: string;
  /** For each folded character, where its source starts and ends in the original text. */
  start: Int32Array;
  end: Int32Array;
}

const MARK_KIND = '\u0000M';
const APOSTROPHE_KIND = '\u0000A';
const SEPARATOR_KIND = '\u0000S';
const kinds = new Map<string, string>();

/** What a non-ASCII character folds to (cached: notes repeat the same few letters). */
function charKind(ch: string): string {
  let kind = kinds.get(ch);
  if (kind === undefined) {
    if (MARK.test(ch)) kind = MARK_KIND;
    else if (APOSTROPHE.test(ch)) kind = APOSTROPHE_KIND;
    else if (SEPARATOR.test(ch)) kind = SEPARATOR_KIND;
    else {
      kind = '';
      for (const low of ch.toLowerCase()) kind += SPECIAL[low] ?? low.normalize('NFD').replace(/\p{M}/gu, '');
    }
    if (kinds.size > 10_000) kinds.clear();
    kinds.set(ch, kind);
  }
  return kind;
}

/** Folds a text character by character, keeping where each folded character came from. */
export function skeleton(input: string): Skeleton {
  // Hot path (every note, every CRM value): ASCII is handled without regexes or allocations.
  // Typed arrays sized for the worst case (a character folds to at most three), filled up to `n`.
  const cap = input.length * 3 + 1;
  const out = new Uint16Array(cap);
  const start = new Int32Array(cap);
  const end = new Int32Array(cap);
  const merged = new Uint8Array(cap);
  let n = 0;
  const push = (code: number, s: number, e: number) => {
    // ae/oe/ue fold to a/o/u, on both sides of every comparison, so "Mueller", "Müller" and "Muller" meet.
    if (code === 101 && n > 0 && (out[n - 1] === 97 || out[n - 1] === 111 || out[n - 1] === 117) && (end[n - 1] === s || start[n - 1] === s) && !merged[n - 1]) {
      end[n - 1] = e;
      merged[n - 1] = 1;
      return;
    }
    out[n] = code;
    start[n] = s;
    end[n] = e;
    n++;
  };
  const len = input.length;
  for (let i = 0; i < len; ) {
    const c = input.charCodeAt(i);
    if (c < 128) {
      if (c >= 65 && c <= 90) push(c + 32, i, i + 1);
      else if (c === 32 || c === 45 || c === 95 || (c >= 9 && c <= 13)) {
        if (n > 0 && out[n - 1] === 32) end[n - 1] = i + 1;
        else push(32, i, i + 1);
      } else if (c === 39 || c === 96) {
        if (n > 0 && out[n - 1] !== 32) end[n - 1] = i + 1;
      } else push(c, i, i + 1);
      i++;
      continue;
    }
    const cp = input.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const next = i + ch.length;
    const kind = charKind(ch);
    if (kind === MARK_KIND) {
      // A combining mark belongs to the letter before it.
      if (n > 0) end[n - 1] = next;
    } else if (kind === APOSTROPHE_KIND) {
      if (n > 0 && out[n - 1] !== 32) end[n - 1] = next;
    } else if (kind === SEPARATOR_KIND) {
      if (n > 0 && out[n - 1] === 32) end[n - 1] = next;
      else push(32, i, next);
    } else for (let k = 0; k < kind.length; k++) push(kind.charCodeAt(k), i, next);
    i = next;
  }
  let text = '';
  for (let k = 0; k < n; k += 8192) text += String.fromCharCode(...out.subarray(k, Math.min(n, k + 8192)));
  return { text, start: start.subarray(0, n), end: end.subarray(0, n) };
}

/** One folded key for every spelling of a value (the same folding as `skeleton`, without positions). */
export function fold(value: string): string {
  let out = value.toLowerCase();
  // Plain ASCII letters, digits and punctuation need only the separator and ae/oe/ue folding.
  if (!/^[\x20-\x7e]*$/.test(out)) {
    out = out.replace(/[ßłđðøæœıþħŀ]/g, (c) => SPECIAL[c]!).normalize('NFD').replace(/\p{M}/gu, '');
    out = out.replace(/['’ʼ`´‘]/g, '').replace(/[\s\-‐‑–_]+/g, ' ');
  } else out = out.replace(/['`]/g, '').replace(/[\s\-_]+/g, ' ');
  return out.replace(/([aou])e/g, '$1').trim();
}

export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

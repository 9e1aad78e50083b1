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
  start: number[];
  end: number[];
}

/** Folds a text character by character, keeping where each folded character came from. */
export function skeleton(input: string): Skeleton {
  const chars: string[] = [];
  const start: number[] = [];
  const end: number[] = [];
  const push = (c: string, s: number, e: number) => {
    chars.push(c);
    start.push(s);
    end.push(e);
  };
  for (let i = 0; i < input.length; ) {
    const cp = input.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const next = i + ch.length;
    if (MARK.test(ch)) {
      // A combining mark belongs to the letter before it.
      if (end.length > 0) end[end.length - 1] = next;
    } else if (APOSTROPHE.test(ch)) {
      if (end.length > 0 && chars[chars.length - 1] !== ' ') end[end.length - 1] = next;
    } else if (SEPARATOR.test(ch)) {
      if (chars[chars.length - 1] === ' ') end[end.length - 1] = next;
      else push(' ', i, next);
    } else {
      for (const low of ch.toLowerCase()) {
        const special = SPECIAL[low];
        const base = special ?? low.normalize('NFD').replace(/\p{M}/gu, '');
        for (const b of base) push(b, i, next);
      }
    }
    i = next;
  }
  // ae/oe/ue fold to a/o/u, on both sides of every comparison, so "Mueller", "Müller" and "Muller" meet.
  const outChars: string[] = [];
  const outStart: number[] = [];
  const outEnd: number[] = [];
  for (let k = 0; k < chars.length; k++) {
    const c = chars[k]!;
    if ((c === 'a' || c === 'o' || c === 'u') && chars[k + 1] === 'e') {
      outChars.push(c);
      outStart.push(start[k]!);
      outEnd.push(end[k + 1]!);
      k++;
    } else {
      outChars.push(c);
      outStart.push(start[k]!);
      outEnd.push(end[k]!);
    }
  }
  return { text: outChars.join(''), start: outStart, end: outEnd };
}

/** One folded key for every spelling of a value. */
export function fold(value: string): string {
  return skeleton(value).text.trim();
}

export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

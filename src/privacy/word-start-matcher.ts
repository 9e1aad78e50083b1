/**
 * Many lower-case regex terms, each tried only at word starts whose first two letters it can begin
 * with. One alternation of hundreds of terms is tried at every character and costs about as much as
 * all other scanning; bucketed by a two-letter key it costs one map look-up per word.
 */
export interface WordStartHit<T> {
  tag: T;
  start: number;
  end: number;
}

const META = /[\\()[\]?*+{}|.^$]/;

/** "(?:ran|runs) for" → ["ran for", "runs for"]: a leading group of plain words, spelt out. */
function expandLeadingGroup(term: string): string[] {
  if (!term.startsWith('(?:')) return [term];
  let depth = 0;
  let close = -1;
  for (let i = 0; i < term.length && close === -1; i++) {
    if (term[i] === '\\') i++;
    else if (term[i] === '(') depth++;
    else if (term[i] === ')' && --depth === 0) close = i;
  }
  const inner = term.slice(3, close);
  const alternatives = inner.split('|');
  if (close === -1 || alternatives.some((a) => a === '' || /[\\()[\]*+{}|.^$]/.test(a))) return [term];
  let rest = term.slice(close + 1);
  const optional = rest.startsWith('?');
  if (optional) rest = rest.slice(1);
  // "ran?" inside: a trailing optional letter is kept as written.
  const spelt = alternatives.flatMap((a) => expandLeadingGroup(a + rest));
  return optional ? [...spelt, ...expandLeadingGroup(rest.replace(/^ /, ''))] : spelt;
}

/** The literal letters a term starts with (before any regex syntax); a "?" takes back the letter before. */
function literalPrefix(term: string): string {
  const m = META.exec(term);
  const prefix = m ? term.slice(0, m.index) : term;
  return m && m[0] === '?' ? prefix.slice(0, -1) : prefix;
}

const isWordChar = (c: number) =>
  (c >= 97 && c <= 122) ||
  (c >= 65 && c <= 90) ||
  (c >= 48 && c <= 57) ||
  (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7);

export class WordStartMatcher<T extends string> {
  /** Buckets by the char codes of their two first letters (a number: no string per word start). */
  private readonly buckets = new Map<number, { re: RegExp; tags: T[] }>();
  private readonly anywhere: { re: RegExp; tags: T[] } | undefined;

  constructor(terms: readonly { tag: T; source: string }[]) {
    const byKey = new Map<string, { tag: T; source: string }[]>();
    for (const term of terms) {
      for (const source of expandLeadingGroup(term.source)) {
        const prefix = literalPrefix(source);
        const key = prefix.length >= 2 ? prefix.slice(0, 2) : '';
        byKey.set(key, [...(byKey.get(key) ?? []), { tag: term.tag, source }]);
      }
    }
    for (const [key, list] of byKey) {
      const tags = [...new Set(list.map((t) => t.tag))];
      const re = new RegExp(
        tags
          .map(
            (tag, g) =>
              `(?<g${g}>${list
                .filter((t) => t.tag === tag)
                .map((t) => t.source)
                .join('|')})`,
          )
          .join('|'),
        'y',
      );
      if (key) this.buckets.set(key.charCodeAt(0) * 65536 + key.charCodeAt(1), { re, tags });
      else this.anywhere = { re, tags };
    }
  }

  /** Hits at word starts of `lower` (a lower-cased text): longest per bucket, every bucket tried. */
  scan(lower: string, out: WordStartHit<T>[]): void {
    for (let i = 0; i < lower.length; i++) {
      const c = lower.charCodeAt(i);
      if (!isWordChar(c) || (i > 0 && isWordChar(lower.charCodeAt(i - 1)))) continue;
      const bucket = this.buckets.get(c * 65536 + lower.charCodeAt(i + 1));
      if (bucket) this.tryAt(bucket, lower, i, out);
      if (this.anywhere) this.tryAt(this.anywhere, lower, i, out);
    }
  }

  private tryAt(bucket: { re: RegExp; tags: T[] }, lower: string, i: number, out: WordStartHit<T>[]): void {
    bucket.re.lastIndex = i;
    const m = bucket.re.exec(lower);
    if (!m || m[0].length === 0) return;
    let g = 0;
    if (bucket.tags.length > 1) while (m.groups![`g${g}`] === undefined) g++;
    out.push({ tag: bucket.tags[g]!, start: i, end: i + m[0].length });
  }
}

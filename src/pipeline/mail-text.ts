/**
 * The last pass over a mail's text, after re-identification, in code: a restored value meets its
 * sentence only here ("Example Logistics Ltd." + "." → "Ltd.."), and the model may repeat the
 * greeting or closing. Pure: the same text always gives the same mail.
 */

/** The usual e-mail signature delimiter ("-- " on its own line, RFC 3676 §4.3). */
export const SIGNATURE_DELIMITER = '-- ';

export interface FinishInput {
  /** The re-identified body: greeting, text, closing (the closing may be missing or repeated). */
  body: string;
  /** The real greeting line, e.g. "Sehr geehrte Frau Dr. Muster,". */
  greeting: string;
  /** The real closing lines, e.g. "Mit freundlichen Grüßen\nMax Vertrieb". */
  closing: string;
  /** The AI notice, placed below the signature delimiter; empty: no delimiter, no notice. */
  notice: string;
  /** Upper bound on the finished body, notice included. */
  maxChars: number;
}

export interface FinishedMail {
  body: string;
  /** Set when text had to be cut to stay within `maxChars`. */
  shortened: boolean;
}

/** Punctuation joins on one line: no space before , . ; : ! ?, no doubled full stop, no doubled spaces. */
export function joinPunctuation(line: string): string {
  return (
    line
      .replace(/[ \t]+([,.;:!?])/g, '$1')
      // A doubled full stop (not an ellipsis): "Ltd.." → "Ltd."
      .replace(/(?<!\.)\.\.(?!\.)/g, '.')
      .replace(/[ \t]{2,}/g, ' ')
      .replace(/[ \t]+$/, '')
  );
}

const lines = (text: string) => text.replace(/\r\n?/g, '\n').split('\n');
const norm = (line: string) => line.trim().replace(/\s+/g, ' ');

/** Subject lines get the same joins, on one line. */
export function finishSubject(subject: string): string {
  return joinPunctuation(norm(subject));
}

/**
 * The body between greeting and closing: every line equal to the greeting, and every run of lines
 * equal to the closing (or its first line, the valediction), removed; the rest joined.
 */
function middleOf(body: string, greeting: string, closing: string): string[] {
  const g = norm(greeting);
  const closingLines = lines(closing).map(norm).filter(Boolean);
  const valediction = closingLines[0];
  const out: string[] = [];
  const src = lines(body).map((l) => joinPunctuation(l));
  for (let i = 0; i < src.length; i++) {
    const l = norm(src[i]!);
    if (l === g) continue;
    if (valediction !== undefined && l === valediction) {
      // Skip the valediction and the name lines that belong to it.
      let j = i + 1;
      for (let k = 1; k < closingLines.length && j < src.length; k++) {
        if (norm(src[j]!) === closingLines[k]) j++;
        else break;
      }
      i = j - 1;
      continue;
    }
    out.push(src[i]!);
  }
  // Drop name-only lines trailing the text (the closing's own lines, written without the valediction).
  while (out.length > 0 && (norm(out.at(-1)!) === '' || closingLines.slice(1).includes(norm(out.at(-1)!))))
    out.pop();
  while (out.length > 0 && norm(out[0]!) === '') out.shift();
  // At most one blank line between paragraphs.
  return out.filter((l, i) => !(norm(l) === '' && i > 0 && norm(out[i - 1]!) === ''));
}

/** Cuts paragraphs, then sentences, from the end of the text until `budget` characters remain. */
function fit(middle: string[], budget: number): { text: string; shortened: boolean } {
  let text = middle.join('\n');
  if (text.length <= budget) return { text, shortened: false };
  if (budget <= 0) return { text: '', shortened: true };
  const sentences = text.match(/[^.!?\n]+(?:[.!?]+|\n+|$)/g) ?? [];
  text = '';
  for (const s of sentences) {
    if ((text + s).trimEnd().length > budget) break;
    text += s;
  }
  return { text: text.trimEnd(), shortened: true };
}

/**
 * Greeting once at the top, the text with its punctuation joined, the closing once at the end,
 * then the signature delimiter and the notice, all within `maxChars` (text is cut at a sentence
 * end if it must be; greeting, closing and notice always stay).
 */
export function finishMail(input: FinishInput): FinishedMail {
  const greeting = input.greeting.trim();
  const closing = lines(input.closing)
    .map((l) => l.trim())
    .join('\n')
    .trim();
  const notice = joinPunctuation(norm(input.notice));
  const middle = middleOf(input.body, greeting, closing);
  const frame = (text: string) =>
    `${greeting}\n\n${text ? `${text}\n\n` : ''}${closing}${notice ? `\n\n${SIGNATURE_DELIMITER}\n${notice}` : ''}`;
  const budget = input.maxChars - frame('').length - 2;
  const { text, shortened } = fit(middle, budget);
  return { body: frame(text), shortened };
}

/** The part of a mail above the signature delimiter (what the rep writes; the notice is ours). */
export function bodyWithoutSignature(body: string): string {
  const all = lines(body);
  const at = all.findIndex((l) => l === SIGNATURE_DELIMITER || l === '--');
  return (at === -1 ? all : all.slice(0, at)).join('\n').trim();
}

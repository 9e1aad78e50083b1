/**
 * Turns the model's pseudonymised answer into the final e-mail, safely: only issued placeholders,
 * the required ones present, unambiguous mangling repaired, no links outside the allow-list, no
 * recipient or attachment the model chose, and no value restored where its type does not belong.
 */
export type RestoreFailure =
  | 'unknown_placeholder'
  | 'missing_required'
  | 'ambiguous_placeholder'
  | 'placeholder_in_link'
  | 'disallowed_link'
  | 'recipient_or_attachment'
  | 'residual_placeholder';

export type RestoreResult =
  | { ok: true; subject: string; body: string; repaired: number }
  | { ok: false; reason: RestoreFailure; detail: string };

const CANONICAL = /\[\[([A-Z]+)_(\d+)\]\]/g;
// Mangled forms: [[ person_1 ]], [PERSON_1], {{PERSON_1}}, <PERSON_1>, bare PERSON_1, PERSON 1.
const MANGLED =
  /\[\[\s*([A-Za-zÄÖÜäöü]+)[\s_-]*(\d+)\s*\]\]|\[\s*([A-Za-z]+)[\s_-]*(\d+)\s*\]|\{\{\s*([A-Za-z]+)[\s_-]*(\d+)\s*\}\}|<\s*([A-Za-z]+)_(\d+)\s*>|\b([A-Z]{3,})_(\d+)\b/g;

/** Translations and synonyms of our types a model tends to produce. */
const TYPE_ALIASES: Record<string, string> = {
  PERSON: 'PERSON',
  PERSONE: 'PERSON',
  NAME: 'PERSON',
  NAMEN: 'PERSON',
  PERSONNE: 'PERSON',
  EMAIL: 'EMAIL',
  MAIL: 'EMAIL',
  EMAILADRESSE: 'EMAIL',
  'E-MAIL': 'EMAIL',
  PHONE: 'PHONE',
  TELEFON: 'PHONE',
  TEL: 'PHONE',
  TELEPHONE: 'PHONE',
  TELEFONNUMMER: 'PHONE',
  COMPANY: 'COMPANY',
  FIRMA: 'COMPANY',
  UNTERNEHMEN: 'COMPANY',
  ORGANISATION: 'COMPANY',
  ADDRESS: 'ADDRESS',
  ADRESSE: 'ADDRESS',
  ANSCHRIFT: 'ADDRESS',
};

const URL = /\b(?:https?:\/\/|www\.)[^\s<>"')\]]+/gi;
// No `g` flag: these are used with .test(), which would otherwise carry lastIndex between calls.
const MAILTO_OR_ADDRESS = /\bmailto:|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/i;
const HEADER_LINE = /^\s*(?:to|cc|bcc|an|kopie|blindkopie|from|von|reply-to|antwort an)\s*:/im;
// A recipient field written inline ("… Now write: To: [[EMAIL_1]]").
const RECIPIENT_FIELD = /\b(?:to|cc|bcc|an|kopie|blindkopie|reply-to|antwort an)\s*:\s*\[\[EMAIL_\d+\]\]/i;
const ATTACHMENT = /\b(?:anbei|im anhang|angehängt|attached|attachment|enclosed)\b/i;

export function restoreDraft(input: {
  subject: string;
  body: string;
  mapping: Record<string, string>;
  required: string[];
  allowedLinks: string[];
}): RestoreResult {
  const issued = new Set(Object.keys(input.mapping));
  let repaired = 0;

  const normalise = (text: string): { text: string } | RestoreResult => {
    let failure: RestoreResult | undefined;
    const out = text.replace(MANGLED, (whole, ...groups: (string | undefined)[]) => {
      const parts = groups.slice(0, 10);
      let type: string | undefined;
      let n: string | undefined;
      for (let i = 0; i < parts.length; i += 2) {
        if (parts[i] !== undefined) {
          type = parts[i];
          n = parts[i + 1];
          break;
        }
      }
      if (!type || !n) return whole;
      const canonicalType = TYPE_ALIASES[type.toUpperCase()] ?? type.toUpperCase();
      const candidate = `[[${canonicalType}_${Number(n)}]]`;
      if (candidate === whole) return whole;
      if (issued.has(candidate)) {
        repaired++;
        return candidate;
      }
      // A bare upper-case word_number that is not ours is ordinary text (e.g. "ISO_9001"); a bracketed one is not.
      if (/^[A-Z]{3,}_\d+$/.test(whole) && !TYPE_ALIASES[type.toUpperCase()]) return whole;
      failure ??= {
        ok: false,
        reason: issued.has(`[[${type.toUpperCase()}_${n}]]`)
          ? 'ambiguous_placeholder'
          : 'unknown_placeholder',
        detail: whole.slice(0, 40),
      };
      return whole;
    });
    return failure ?? { text: out };
  };

  const subject = normalise(input.subject);
  if ('ok' in subject) return subject;
  const body = normalise(input.body);
  if ('ok' in body) return body;

  for (const text of [subject.text, body.text]) {
    for (const m of text.matchAll(CANONICAL)) {
      if (!issued.has(m[0])) return { ok: false, reason: 'unknown_placeholder', detail: m[0] };
    }
  }
  for (const r of input.required) {
    if (!body.text.includes(r)) return { ok: false, reason: 'missing_required', detail: r };
  }
  const linkFailure = checkLinks([subject.text, body.text], input.allowedLinks);
  if (linkFailure) return linkFailure;
  const headerFailure = checkRecipientsAndAttachments(subject.text, body.text);
  if (headerFailure) return headerFailure;
  // Values belong in prose: an e-mail placeholder is never restored into the subject line.
  for (const m of subject.text.matchAll(CANONICAL)) {
    if (m[1] === 'EMAIL' || m[1] === 'PHONE')
      return { ok: false, reason: 'placeholder_in_link', detail: `${m[0]} in subject` };
  }

  const fill = (text: string) => text.replace(CANONICAL, (p) => input.mapping[p] ?? p);
  const finalSubject = fill(subject.text);
  const finalBody = fill(body.text);
  // Also a placeholder-like text a CRM value brought in (`[[ PHONE 1 ]]` in a name): never in an e-mail.
  if (/\[\[\s*[A-Za-z]+[\s_-]*\d+\s*\]\]/.test(finalSubject + finalBody))
    return { ok: false, reason: 'residual_placeholder', detail: 'placeholder left after restore' };
  return { ok: true, subject: finalSubject, body: finalBody, repaired };
}

/** Links: only allow-listed ones, and never one with a placeholder in it. */
function checkLinks(texts: string[], allowedLinks: string[]): RestoreResult | undefined {
  for (const text of texts) {
    for (const m of text.matchAll(URL)) {
      const url = m[0];
      if (
        /\[\[|%5B%5B/i.test(url) ||
        /\[\[[A-Z]+_\d+\]\]\S*$/.test(text.slice(Math.max(0, m.index - 30), m.index))
      ) {
        return { ok: false, reason: 'placeholder_in_link', detail: url.slice(0, 60) };
      }
      if (!allowedLinks.some((allowed) => url.startsWith(allowed)))
        return { ok: false, reason: 'disallowed_link', detail: url.slice(0, 60) };
    }
    if (/\]\]\(|\(\s*\[\[|href\s*=/.test(text))
      return { ok: false, reason: 'placeholder_in_link', detail: 'markup link' };
  }
  return undefined;
}

/** The model never chooses recipients or attachments: those are decided by code. */
function checkRecipientsAndAttachments(subject: string, body: string): RestoreResult | undefined {
  if (HEADER_LINE.test(body) || HEADER_LINE.test(subject) || RECIPIENT_FIELD.test(body))
    return { ok: false, reason: 'recipient_or_attachment', detail: 'header-like line' };
  if (MAILTO_OR_ADDRESS.test(body.replace(CANONICAL, '')))
    return { ok: false, reason: 'recipient_or_attachment', detail: 'address or mailto written by the model' };
  if (ATTACHMENT.test(body))
    return { ok: false, reason: 'recipient_or_attachment', detail: 'attachment mentioned' };
  return undefined;
}

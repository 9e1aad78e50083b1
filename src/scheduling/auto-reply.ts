import { AUTO_REPLY_TEXT } from './reply.ts';

/**
 * Whether a received message was written by a machine, not the contact: RFC 3834's Auto-Submitted
 * (anything but "no"), Exchange's X-Auto-Response-Suppress and auto-reply markers, Precedence
 * auto_reply/bulk/junk/list, or an out-of-office subject ("Automatische Antwort:", "Out of Office",
 * "Abwesenheitsnotiz"). Such a message never books.
 */
export function isAutoReply(headers: Readonly<Record<string, string>> | undefined, subject: string | undefined): boolean {
  const h = Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v.trim().toLowerCase()]));
  if (h['auto-submitted'] !== undefined && h['auto-submitted'] !== 'no') return true;
  if (h['x-auto-response-suppress'] !== undefined) return true;
  if (h['x-autoreply'] !== undefined || h['x-autorespond'] !== undefined || h['x-ms-exchange-inbox-rules-loop'] !== undefined) return true;
  if (/^(auto_reply|bulk|junk|list)$/.test(h.precedence ?? '')) return true;
  return AUTO_REPLY_TEXT.test(` ${(subject ?? '').toLowerCase()} `);
}

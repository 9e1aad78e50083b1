import { AUTO_REPLY_TEXT } from './reply.ts';

/**
 * Whether a received message was written by a machine, not the contact: RFC 3834's Auto-Submitted
 * (anything but "no"), Exchange's X-Auto-Response-Suppress and auto-reply markers, Precedence
 * auto_reply/bulk/junk/list, or an out-of-office subject ("Automatische Antwort:", "Out of Office",
 * "Abwesenheitsnotiz"). Such a message never books.
 */
export function isAutoReply(
  headers: Readonly<Record<string, string>> | undefined,
  subject: string | undefined,
): boolean {
  const entries = Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v.trim().toLowerCase()]);
  const h = Object.fromEntries(entries) as Record<string, string>;
  if (h['auto-submitted'] !== undefined && h['auto-submitted'] !== 'no') return true;
  if (h['x-auto-response-suppress'] !== undefined) return true;
  const markers = ['x-autoreply', 'x-autorespond', 'x-ms-exchange-inbox-rules-loop'];
  if (markers.some((name) => h[name] !== undefined)) return true;
  if (/^(auto_reply|bulk|junk|list)$/.test(h.precedence ?? '')) return true;
  return AUTO_REPLY_TEXT.test(` ${(subject ?? '').toLowerCase()} `);
}

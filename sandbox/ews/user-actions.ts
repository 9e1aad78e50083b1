import { randomBytes } from 'node:crypto';
import { newChangeKey, newConversationId, newItemId, type SimExchange, type SimItem } from './state.ts';

/**
 * What people do in Outlook against the simulated Exchange (the demo's reviewer and contact): the
 * contact's reply and a busy block in a calendar. Sending and deleting drafts go through the same
 * store moves as EWS calls do (items.ts).
 */

/** The contact answers: a message in the Inbox, same conversation, the new text on top and the whole original quoted. */
export function replyTo(
  ex: SimExchange,
  sent: SimItem,
  mailbox: string,
  from: string,
  text: string,
): SimItem {
  const quoted = sent.body
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
  const header = `Von: ${sent.from}\nGesendet: ${new Date().toUTCString()}\nAn: ${sent.to.join('; ')}\nBetreff: ${sent.subject}`;
  const reply: SimItem = {
    ...sent,
    id: newItemId(),
    changeKey: newChangeKey(),
    folder: 'inbox',
    subject: `AW: ${sent.subject}`,
    body: `${text}\n\n${header}\n\n${quoted}`,
    bodyType: 'Text',
    categories: [],
    properties: new Map(),
    to: [mailbox.toLowerCase()],
    from: from.toLowerCase(),
    isDraft: false,
    internetMessageId: `<${randomBytes(12).toString('hex')}@example.com>`,
    created: Date.now(),
  };
  ex.put(reply);
  return reply;
}

/** A busy (or tentative, out-of-office) block in a mailbox's calendar: seed data. */
export function calendarBlock(
  ex: SimExchange,
  mailbox: string,
  e: { subject: string; start: string; end: string; freeBusy?: SimItem['freeBusy'] },
): void {
  const box = ex.addMailbox(mailbox);
  ex.put({
    id: newItemId(),
    changeKey: newChangeKey(),
    mailbox: box.address,
    folder: 'calendar',
    kind: 'CalendarItem',
    subject: e.subject,
    body: '',
    bodyType: 'Text',
    categories: [],
    properties: new Map(),
    to: [],
    from: box.address,
    isDraft: false,
    conversationId: newConversationId(),
    internetMessageId: '',
    start: new Date(e.start).toISOString(),
    end: new Date(e.end).toISOString(),
    freeBusy: e.freeBusy ?? 'Busy',
    attendees: [],
    created: Date.now(),
  });
}

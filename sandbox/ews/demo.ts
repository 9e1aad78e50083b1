import type { EwsSimulator } from './simulator.ts';

/**
 * What `draftbridge demo` shows and does on the simulated Exchange: the request's message shaped
 * like the Outlook one the sandbox routes print, its booked meeting, and the reviewer's send plus
 * the contact's reply for `--reply N`.
 */
export function ewsDraft(sim: EwsSimulator, requestId: string) {
  const items = sim.itemsFor(requestId).filter((i) => i.kind === 'Message');
  const m = items.find((i) => i.folder === 'sentitems') ?? items[0];
  if (!m) return undefined;
  return {
    mailbox: m.mailbox,
    parentFolderId: m.folder,
    subject: m.subject,
    categories: m.categories,
    toRecipients: m.to.map((address) => ({ emailAddress: { address } })),
    body: { content: m.body },
    isDraft: m.isDraft,
    id: m.id,
  };
}

export function ewsMeeting(sim: EwsSimulator, requestId: string) {
  const e = sim.itemsFor(requestId).find((i) => i.kind === 'CalendarItem' && (i.attendees?.length ?? 0) > 0);
  if (!e) return null;
  return {
    mailbox: e.mailbox,
    subject: e.subject,
    start: e.start!.replace(/\.000Z$/, 'Z'),
    end: e.end!.replace(/\.000Z$/, 'Z'),
    showAs: e.freeBusy === 'Tentative' ? 'tentative' : 'busy',
    attendees: e.attendees ?? [],
  };
}

/** The reviewer sends the draft (if still a draft); returns the sent item's id and the contact's address for the reply. */
export function ewsSendForDemo(
  sim: EwsSimulator,
  requestId: string,
): { mailbox: string; sentId: string; contact: string } | null {
  const draft = ewsDraft(sim, requestId);
  if (!draft) return null;
  const sent = draft.isDraft ? sim.sendDraftAsUser(draft.mailbox, draft.id) : { id: draft.id };
  // The contact answers from the address the offer went to (whatever the CRM).
  return {
    mailbox: draft.mailbox,
    sentId: sent.id,
    contact: draft.toRecipients[0]?.emailAddress.address ?? 'contact@example.com',
  };
}

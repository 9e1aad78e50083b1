import { errorMessage } from '../errors.ts';
import { signV3 } from '../../connectors/hubspot/signature.ts';
import { SANDBOX_CONTACTS, SANDBOX_HUBSPOT_SECRET, SANDBOX_PORTAL_ID } from '../../sandbox/data.ts';

/**
 * `draftbridge demo`: sends a signed "callback requested" webhook to a running sandbox service and
 * prints where the draft landed, once it has (mailbox, subject, state, the note in the simulated CRM).
 */
export async function runDemo(options: {
  url: string;
  contact: string;
  crm?: string | undefined;
  secret?: string | undefined;
  timeoutMs: number;
  reply?: number | string | undefined;
  note?: string | undefined;
  print: (line: string) => void;
}): Promise<number> {
  const { print } = options;
  const base = options.url.replace(/\/+$/, '');
  if (!SANDBOX_CONTACTS.some((c) => c.id === options.contact)) {
    print(
      `✗ no sandbox contact ${options.contact}: choose one of ${SANDBOX_CONTACTS.map((c) => `${c.id} (${c.label})`).join(', ')}`,
    );
    return 2;
  }
  // A number picks an offered slot; text is the contact's own answer (--reply-text).
  if (
    typeof options.reply === 'number' &&
    !(Number.isInteger(options.reply) && options.reply >= 1 && options.reply <= 3)
  ) {
    print('✗ --reply takes the number of an offered slot: 1, 2 or 3');
    return 2;
  }
  if (options.note !== undefined) await setSandboxNote(base, options.contact, options.note, print);
  // The CRM the running service simulates, unless given: a HubSpot webhook to a Salesforce sandbox is ignored.
  const crm = options.crm ?? (await sandboxCrm(base));
  if (crm && crm !== 'hubspot') {
    // The simulated CRM lives in the service process: ask it to send its own trigger (an Outbound Message).
    const fired = await fireInSandbox(base, options.contact, print);
    return fired ? followRequest(base, fired, options.timeoutMs, options.reply, print) : 1;
  }
  const contact = SANDBOX_CONTACTS.find((c) => c.id === options.contact);
  const eventId = Date.now() % 1_000_000_000;
  const isLead = contact?.properties.message !== undefined;
  const body = JSON.stringify([hubspotTriggerEvent(eventId, options.contact, isLead)]);
  const timestamp = Date.now();
  const uri = `${base}/webhooks/hubspot`;
  const requestId = `hs-${SANDBOX_PORTAL_ID}-${eventId}-${options.contact}`;
  print(
    `→ POST ${uri}  (${contact ? `${contact.label}, contact ${contact.id}` : `contact ${options.contact}`})`,
  );
  let res: Response;
  try {
    res = await fetch(uri, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-request-timestamp': String(timestamp),
        'x-hubspot-signature-v3': signV3({
          secret: options.secret ?? SANDBOX_HUBSPOT_SECRET,
          method: 'POST',
          uri,
          body,
          timestamp,
        }),
      },
      body,
    });
  } catch (err) {
    print(
      `✗ cannot reach ${base}: ${errorMessage(err)}. Is the service running (npm start with DRAFTBRIDGE_SANDBOX=1)?`,
    );
    return 1;
  }
  print(`← ${res.status} ${res.status === 204 ? '(accepted: the job is in Redis)' : await res.text()}`);
  if (res.status !== 204) return 1;
  return followRequest(base, requestId, options.timeoutMs, options.reply, print);
}

/** Your own wording as the contact's note (the simulated HubSpot contact), set before the trigger. */
async function setSandboxNote(
  base: string,
  contact: string,
  note: string,
  print: (line: string) => void,
): Promise<void> {
  const set = await fetch(`${base}/sandbox/contacts/${encodeURIComponent(contact)}/note`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ note }),
  }).catch(() => null);
  if (!set || set.status !== 204)
    print(
      `✗ could not set the note (${set?.status ?? 'service unreachable'}); the contact's own note is used`,
    );
  else print(`  note: ${note}`);
}

/** The HubSpot webhook event for the contact: a new lead's creation, or "callback requested" on a known one. */
function hubspotTriggerEvent(eventId: number, contact: string, isLead: boolean) {
  return {
    eventId,
    subscriptionId: 2501,
    portalId: SANDBOX_PORTAL_ID,
    appId: 4711,
    occurredAt: Date.now(),
    subscriptionType: isLead ? 'contact.creation' : 'contact.propertyChange',
    attemptNumber: 0,
    objectId: Number(contact),
    changeSource: 'CRM_UI',
    ...(isLead ? {} : { propertyName: 'callback_requested', propertyValue: 'true' }),
  };
}

/** Asks the running sandbox which CRM it simulates; undefined when it does not say (older service). */
async function sandboxCrm(base: string): Promise<string | undefined> {
  const info = await fetch(`${base}/sandbox/info`).then(
    async (r) => (r.ok ? ((await r.json()) as { crm?: string }) : {}),
    () => ({}) as { crm?: string },
  );
  return info.crm;
}

async function fireInSandbox(
  base: string,
  contact: string,
  print: (line: string) => void,
): Promise<string | undefined> {
  let res: Response;
  try {
    res = await fetch(`${base}/sandbox/trigger/${encodeURIComponent(contact)}`, { method: 'POST' });
  } catch (err) {
    print(
      `✗ cannot reach ${base}: ${(err as Error).message}. Is the service running (npm start with DRAFTBRIDGE_SANDBOX=1)?`,
    );
    return undefined;
  }
  const body = (await res.json().catch(() => ({}))) as {
    crm?: string;
    kind?: string;
    url?: string;
    label?: string;
    status?: number;
    acked?: boolean;
    requestId?: string;
    notificationId?: string;
    operationId?: string;
    error?: string;
  };
  if (!res.ok || !body.requestId) {
    print(`✗ ${body.error ?? `sandbox trigger failed with ${res.status}`}`);
    return undefined;
  }
  print(
    `→ POST ${body.url}  (${body.crm} ${body.kind}: ${body.label}, ${body.notificationId ? `notification ${body.notificationId}` : `operation ${body.operationId}`})`,
  );
  print(
    `← ${body.status} ${body.acked ? '(accepted: the job is in Redis)' : `(not accepted: ${body.crm} would retry)`}`,
  );
  return body.acked ? body.requestId : undefined;
}

async function followRequest(
  base: string,
  requestId: string,
  timeoutMs: number,
  reply: number | string | undefined,
  print: (line: string) => void,
): Promise<number> {
  const options = { timeoutMs, reply };
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    const status = await fetch(`${base}/sandbox/requests/${requestId}`).then(
      async (r) => (r.ok ? ((await r.json()) as DemoStatus) : null),
      () => null,
    );
    if (status && status.state !== last) {
      last = status.state;
      const llm = status.llm
        ? `: ${status.llm.name}${status.llm.region ? `, ${status.llm.region}` : ''}`
        : '';
      print(
        `  request ${requestId}: ${status.state}${status.route ? ` (LLM route ${status.route}${llm})` : ''}${status.reason ? ` – ${status.reason}` : ''}`,
      );
    }
    // Done once the CRM has both: crm-sync writes the note first, then draftbridge_status.
    // Failed and suppressed requests may get no CRM note at all (unknown contact, opt-out, repeat): done at once.
    const done =
      status &&
      ['awaiting_review', 'sent', 'blocked_sensitive', 'suppressed', 'failed'].includes(status.state) &&
      ((status.crm.notes.length > 0 && status.crm.status === status.state) ||
        status.state === 'suppressed' ||
        status.state === 'failed');
    if (status && done) {
      if (status.state === 'suppressed' && status.repeatOf) {
        print(
          `↺ recorded as a repeat: contact's request ${status.repeatOf} still awaits review (one open request per contact and flow); showing that one`,
        );
        return followRequest(base, status.repeatOf, timeoutMs, reply, print);
      }
      if (status.draft) {
        print(
          `✓ draft in ${status.draft.mailbox} / ${status.draft.folder}, category "${status.draft.categories.join(', ')}"${status.templateFallback ? ` (template: ${status.templateFallback})` : ''}`,
        );
        print(`  to: ${status.draft.to.join(', ')}`);
        print(`  subject: ${status.draft.subject}`);
        print(
          status.draft.body
            .split('\n')
            .map((l) => `  | ${l}`)
            .join('\n'),
        );
      }
      print(`  CRM: draftbridge_status=${status.crm.status ?? '–'}; ${status.crm.notes.length} note(s)`);
      for (const n of status.crm.notes) print(`  note: ${n.replace(/<[^>]+>/g, '')}`);
      if (status.slots.length > 0)
        print(`  offered slots (UTC): ${status.slots.map((s, i) => `${i + 1}. ${s}`).join('  ')}`);
      if (status.state === 'failed') return 1;
      if (options.reply === undefined || status.state !== 'awaiting_review') return 0;
      if (typeof options.reply === 'number' && options.reply > status.slots.length) {
        print(`✗ --reply ${options.reply}: the draft offers ${status.slots.length} slot(s)`);
        return 2;
      }
      return replyAndBook(base, requestId, options.reply, deadline, print);
    }
    if (Date.now() > deadline) {
      print(
        `… gave up after ${options.timeoutMs / 1000} s; last state: ${status?.state ?? 'not yet picked up by a worker'}`,
      );
      return 2;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * `--reply N` / `--reply-text TEXT`: the reviewer sends the draft, the contact answers "Option N" or
 * your own wording; prints the booked meeting, or the CRM note saying what the rep has to do.
 */
async function replyAndBook(
  base: string,
  requestId: string,
  answer: number | string,
  deadline: number,
  print: (line: string) => void,
): Promise<number> {
  // The CRM notes before the reply (the approval and the reply each add one).
  const before = await fetch(`${base}/sandbox/requests/${requestId}`).then(
    async (r) => (r.ok ? ((await r.json()) as DemoStatus) : null),
    () => null,
  );
  const notesBefore = before?.crm.notes.length ?? 0;
  const res = await fetch(`${base}/sandbox/requests/${requestId}/reply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(typeof answer === 'number' ? { option: answer } : { text: answer }),
  });
  const replied = (await res.json()) as { replied?: string; error?: string };
  if (!res.ok) {
    print(`✗ reply failed: ${replied.error ?? res.status}`);
    return 1;
  }
  print(`→ draft sent by the reviewer; the contact replies: "${replied.replied}"`);
  for (;;) {
    const status = await fetch(`${base}/sandbox/requests/${requestId}`).then(
      async (r) => (r.ok ? ((await r.json()) as DemoStatus) : null),
      () => null,
    );
    if (status?.state === 'booked' && status.meeting && status.crm.status === 'booked') {
      const m = status.meeting;
      print(
        `✓ booked: "${m.subject}" in ${m.mailbox}, ${m.start} – ${m.end} (UTC), ${m.showAs}, attendee ${m.attendees.join(', ')}`,
      );
      print(`  CRM: draftbridge_status=${status.crm.status}`);
      return 0;
    }
    // Not booked: the reply's CRM note says why (call me, unclear, another address, …).
    // Two new notes: the approval (the draft was sent), then the reply's.
    const replyNote =
      status && status.crm.notes.length >= notesBefore + 2 ? status.crm.notes.at(-1) : undefined;
    if (status?.state === 'sent' && replyNote) {
      await new Promise((r) => setTimeout(r, 500));
      const again = await fetch(`${base}/sandbox/requests/${requestId}`).then(
        async (r) => (r.ok ? ((await r.json()) as DemoStatus) : null),
        () => null,
      );
      if (again?.state !== 'booked') {
        print(
          `  no booking; CRM note: ${replyNote
            .replace(/<[^>]+>/g, ' ')
            .replace(/\s+/g, ' ')
            .trim()}`,
        );
        return 0;
      }
    }
    if (Date.now() > deadline) {
      print(
        `… no booking; last state: ${status?.state ?? '?'} (a reply naming no offered slot stays a note for the rep)`,
      );
      return 2;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface DemoStatus {
  state: string;
  route: string | null;
  /** The provider and region behind the route (sandbox service). */
  llm?: { provider: string; name: string; region: string | null } | null;
  reason: string | null;
  repeatOf?: string | null;
  templateFallback: string | null;
  draft: {
    mailbox: string;
    folder: string;
    subject: string;
    categories: string[];
    to: string[];
    body: string;
  } | null;
  crm: { status: string | null; notes: string[] };
  slots: string[];
  meeting: {
    mailbox: string;
    subject: string;
    start: string;
    end: string;
    showAs: string;
    attendees: string[];
  } | null;
}

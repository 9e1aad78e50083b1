import { errorMessage } from '../errors.ts';
import { signV3 } from '../http/hubspot-signature.ts';
import { SANDBOX_CONTACTS, SANDBOX_HUBSPOT_SECRET, SANDBOX_PORTAL_ID } from '../sandbox.ts';

/**
 * `draftbridge demo`: sends a signed "callback requested" webhook to a running sandbox service and
 * prints where the draft landed, once it has (mailbox, subject, state, the note in the simulated CRM).
 */
export async function runDemo(options: { url: string; contact: string; secret?: string | undefined; timeoutMs: number; print: (line: string) => void }): Promise<number> {
  const { print } = options;
  const base = options.url.replace(/\/+$/, '');
  const contact = SANDBOX_CONTACTS.find((c) => c.id === options.contact);
  const eventId = Date.now() % 1_000_000_000;
  const isLead = contact?.properties.message !== undefined;
  const event = {
    eventId,
    subscriptionId: 2501,
    portalId: SANDBOX_PORTAL_ID,
    appId: 4711,
    occurredAt: Date.now(),
    subscriptionType: isLead ? 'contact.creation' : 'contact.propertyChange',
    attemptNumber: 0,
    objectId: Number(options.contact),
    changeSource: 'CRM_UI',
    ...(isLead ? {} : { propertyName: 'callback_requested', propertyValue: 'true' }),
  };
  const body = JSON.stringify([event]);
  const timestamp = Date.now();
  const uri = `${base}/webhooks/hubspot`;
  const requestId = `hs-${SANDBOX_PORTAL_ID}-${eventId}-${options.contact}`;
  print(`→ POST ${uri}  (${contact ? `${contact.label}, contact ${contact.id}` : `contact ${options.contact}`})`);
  let res: Response;
  try {
    res = await fetch(uri, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hubspot-request-timestamp': String(timestamp), 'x-hubspot-signature-v3': signV3({ secret: options.secret ?? SANDBOX_HUBSPOT_SECRET, method: 'POST', uri, body, timestamp }) },
      body,
    });
  } catch (err) {
    print(`✗ cannot reach ${base}: ${errorMessage(err)}. Is the service running (npm start with DRAFTBRIDGE_SANDBOX=1)?`);
    return 1;
  }
  print(`← ${res.status} ${res.status === 204 ? '(accepted: the job is in Redis)' : await res.text()}`);
  if (res.status !== 204) return 1;

  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    const status = await fetch(`${base}/sandbox/requests/${requestId}`).then(async (r) => (r.ok ? ((await r.json()) as DemoStatus) : null), () => null);
    if (status && status.state !== last) {
      last = status.state;
      print(`  request ${requestId}: ${status.state}${status.route ? ` (LLM route ${status.route})` : ''}${status.reason ? ` – ${status.reason}` : ''}`);
    }
    // Done once the CRM has both: crm-sync writes the note first, then draftbridge_status.
    const done = status && ['awaiting_review', 'sent', 'blocked_sensitive', 'suppressed', 'failed'].includes(status.state) && ((status.crm.notes.length > 0 && status.crm.status === status.state) || status.state === 'suppressed');
    if (status && done) {
      if (status.draft) {
        print(`✓ draft in ${status.draft.mailbox} / ${status.draft.folder}, category "${status.draft.categories.join(', ')}"${status.templateFallback ? ` (template: ${status.templateFallback})` : ''}`);
        print(`  to: ${status.draft.to.join(', ')}`);
        print(`  subject: ${status.draft.subject}`);
        print(status.draft.body.split('\n').map((l) => `  | ${l}`).join('\n'));
      }
      print(`  CRM: draftbridge_status=${status.crm.status ?? '–'}; ${status.crm.notes.length} note(s)`);
      for (const n of status.crm.notes) print(`  note: ${n.replace(/<[^>]+>/g, '')}`);
      return 0;
    }
    if (Date.now() > deadline) {
      print(`… gave up after ${options.timeoutMs / 1000} s; last state: ${status?.state ?? 'not yet picked up by a worker'}`);
      return 2;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface DemoStatus {
  state: string;
  route: string | null;
  reason: string | null;
  templateFallback: string | null;
  draft: { mailbox: string; folder: string; subject: string; categories: string[]; to: string[]; body: string } | null;
  crm: { status: string | null; notes: string[] };
}

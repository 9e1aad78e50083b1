import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GmailMail, messageIdFor, REQUEST_HEADER } from '../../connectors/gmail/connector.ts';
import { loadServiceAccountKey } from '../../src/gmail-key.ts';
import { startGmailSimulator, type GmailSimulator } from '../../sandbox/gmail/simulator.ts';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import type { OutgoingMail } from '../../src/ports.ts';

const OWNER = 'max.vertrieb@example.com';
const LABEL = 'KI-Entwurf – bitte prüfen';

function mail(requestId: string, overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  return {
    mailbox: OWNER,
    to: [{ address: 'erika.musterfrau@example.com', name: 'Erika Musterfrau' }],
    subject: 'Ihr Rückrufwunsch',
    body: 'Sehr geehrte Frau Musterfrau,\nvielen Dank.',
    contentType: 'text',
    categories: [LABEL],
    requestId,
    ...overrides,
  };
}

describe('Gmail connector: @googleapis/gmail and google-auth-library (JWT, domain-wide delegation) against the simulator', () => {
  let sim: GmailSimulator;
  let gmail: GmailMail;

  beforeAll(async () => {
    sim = await startGmailSimulator();
    sim.addMailbox(OWNER);
    gmail = new GmailMail({
      key: loadServiceAccountKey(sim.serviceAccountKey),
      rootUrl: sim.rootUrl,
      tokenUrl: sim.tokenUrl,
      defaultLabel: LABEL,
      timeoutMs: 2000,
    });
  });
  afterAll(() => sim.close());

  it('gets a delegated token through GOOGLE_TOKEN_URL (signed assertion, sub = the rep) and creates a labelled draft with our header', async () => {
    const ref = await gmail.createDraft(mail('req-gm-0001'));
    expect(ref.isDraft).toBe(true);
    const token = sim.requests.find((r) => r.path === '/token');
    expect(token?.method).toBe('POST');
    const box = sim.mailbox(OWNER);
    const stored = box.messages.find((m) => m.id === ref.id)!;
    expect([...stored.labelIds].map((l) => box.labelNames.get(l))).toEqual(
      expect.arrayContaining(['DRAFT', LABEL]),
    );
    expect(stored.headers.find((h) => h.name === REQUEST_HEADER)?.value).toBe('req-gm-0001');
    expect(stored.messageIdHeader).toBe(`<${messageIdFor('req-gm-0001', OWNER)}>`);
    expect(stored.to).toEqual(['erika.musterfrau@example.com']);
    expect(stored.text).toContain('vielen Dank.');
    // The label was created once and is reused.
    await gmail.createDraft(mail('req-gm-0002'));
    expect(sim.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/labels'))).toHaveLength(1);
  });

  it('finds a draft again by its request id (rfc822msgid + header) and nothing for an unknown one', async () => {
    const ref = await gmail.createDraft(mail('req-gm-0003'));
    expect((await gmail.findByRequestId(OWNER, 'req-gm-0003'))?.id).toBe(ref.id);
    expect(await gmail.findByRequestId(OWNER, 'req-gm-9999')).toBeNull();
    const msg = await gmail.getMessage(OWNER, ref.id);
    expect(msg?.requestId).toBe('req-gm-0003');
    expect(await gmail.getMessage(OWNER, 'ffffffffffffffff')).toBeNull();
  });

  it('sends a draft (new message id, SENT, same thread) and sends mail directly', async () => {
    const ref = await gmail.createDraft(mail('req-gm-0004'));
    await gmail.sendDraft(OWNER, ref.id);
    const sent = await gmail.findByRequestId(OWNER, 'req-gm-0004');
    expect(sent?.isDraft).toBe(false);
    expect(sent?.conversationId).toBe(ref.conversationId);
    await gmail.sendMail(mail('req-gm-0005'));
    const direct = await gmail.findByRequestId(OWNER, 'req-gm-0005');
    expect(direct?.isDraft).toBe(false);
  });

  it('maps 429 and 403 rateLimitExceeded to UpstreamRateLimited (Retry-After or exponential), 5xx to Unavailable, 4xx to Rejected', async () => {
    sim.inject({ status: 429, retryAfterSeconds: 7, path: /\/messages$/ });
    const a = await gmail.findByRequestId(OWNER, 'req-gm-0003').catch((e: unknown) => e);
    expect(a).toBeInstanceOf(UpstreamRateLimited);
    expect((a as UpstreamRateLimited).retryAfterMs).toBe(7000);
    expect(await gmail.findByRequestId(OWNER, 'req-gm-0003')).not.toBeNull();
    sim.inject({ status: 403, path: /\/messages$/, times: 2 });
    const b = await gmail.findByRequestId(OWNER, 'req-gm-0003').catch((e: unknown) => e);
    const c = await gmail.findByRequestId(OWNER, 'req-gm-0003').catch((e: unknown) => e);
    expect(b).toBeInstanceOf(UpstreamRateLimited);
    expect((b as UpstreamRateLimited).retryAfterMs).toBe(1000);
    expect((c as UpstreamRateLimited).retryAfterMs).toBe(2000);
    // Success resets the backoff.
    expect(await gmail.findByRequestId(OWNER, 'req-gm-0003')).not.toBeNull();
    sim.inject({ status: 503, path: /\/drafts$/ });
    await expect(gmail.createDraft(mail('req-gm-0006'))).rejects.toBeInstanceOf(UpstreamUnavailable);
    await expect(gmail.sendDraft(OWNER, 'ffffffffffffffff')).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it('is refused for a mailbox outside the delegation (token endpoint 401 → UpstreamRejected)', async () => {
    await expect(
      gmail.createDraft(mail('req-gm-0007', { mailbox: 'nobody@example.org' })),
    ).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it('reads history from a history id, and answers 404 (null) once it is too old', async () => {
    const start = await gmail.currentHistoryId(OWNER);
    const ref = await gmail.createDraft(mail('req-gm-0008'));
    const page = await gmail.history(OWNER, start);
    expect(page?.history.some((h) => h.messagesAdded?.some((a) => a.message?.id === ref.id))).toBe(true);
    expect(BigInt(page!.historyId)).toBeGreaterThan(BigInt(start));
    sim.expireHistory(OWNER);
    expect(await gmail.history(OWNER, start)).toBeNull();
    const w = await gmail.watch(OWNER, sim.topicName);
    expect(w.expiration).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    await expect(gmail.watch(OWNER, 'projects/other/topics/x')).rejects.toBeInstanceOf(UpstreamRejected);
  });
});

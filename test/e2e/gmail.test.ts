import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import jws from 'jws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GmailSimulator } from '../../sandbox/gmail/simulator.ts';
import type { GmailWatch } from '../../connectors/gmail/watch.ts';
import { childEnv, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** The e2e paths with Gmail as the reviewer's mailbox (DRAFTBRIDGE_MAIL=gmail): Pub/Sub pushes come back to /webhooks/gmail. */
const OWNER = 'max.vertrieb@example.com';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(50);
  }
}

describe('approval in Gmail flows back into the CRM (watch, Pub/Sub push, history)', () => {
  let h: PipelineHarness;
  let gmail: GmailSimulator;
  beforeAll(async () => {
    h = await startPipelineHarness({ mail: 'gmail' });
    gmail = h.sandbox.gmail!;
  });
  afterAll(() => h.close());

  const draftOf = (requestId: string) => gmail.messagesFor(requestId).find((m) => m.labelIds.has('DRAFT'))!;
  const notesFor = (contactId: string) =>
    h.sandbox.hubspot.notes
      .filter((n) => n.associations[0]!.to.id === contactId)
      .map((n) => n.properties.hs_note_body!);

  it('puts a labelled draft into the rep’s Gmail and watches the mailbox; sending it is the approval, the lead’s reply a note', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    const drafts = h.draftsFor(requestId);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]).toMatchObject({
      mailbox: OWNER,
      isDraft: true,
      categories: ['KI-Entwurf – bitte prüfen'],
      to: ['erika.musterfrau@example.com'],
    });
    expect(gmail.mailbox(OWNER).watch?.topicName).toBe(gmail.topicName);

    const draft = draftOf(requestId);
    await gmail.sendDraftAsUser(OWNER, draft.id);
    await h.waitForState(requestId, ['sent']);
    await until(
      () =>
        notesFor('1001').some(
          (n) => n.includes('versendet') && n.includes('in Gmail freigegeben') && n.includes(requestId),
        ),
      'the approval note',
    );
    // The note comes first, then the status property (crm-sync's order).
    await until(
      () => h.sandbox.hubspot.contacts.get('1001')!.properties.draftbridge_status === 'sent',
      'draftbridge_status=sent',
    );
    expect(notesFor('1001').some((n) => n.includes('im Gmail-Ordner „Entwürfe“'))).toBe(true);

    await gmail.simulateReply(OWNER, draft.threadId, 'erika.musterfrau@example.com');
    await until(
      () => notesFor('1001').some((n) => n.includes('geantwortet') && n.includes(requestId)),
      'the reply note',
    );
    expect((await h.ctx.audit.read({ requestId })).map((e) => e.type)).toEqual(
      expect.arrayContaining(['request.sent', 'request.replied']),
    );

    // Pub/Sub delivers at least once: the same push again changes nothing.
    const before = notesFor('1001').length;
    expect(await gmail.push(OWNER)).toBe(204);
    expect(await gmail.push(OWNER)).toBe(204);
    await wait(500);
    expect(notesFor('1001')).toHaveLength(before);
    // No address in any queued job.
    const jobs = await h.ctx.queues['mail-events'].getJobs([
      'completed',
      'waiting',
      'active',
      'delayed',
      'failed',
    ]);
    expect(jobs.filter((j) => j.name === 'gmail-push').length).toBeGreaterThan(0);
    expect(JSON.stringify(jobs.map((j) => j.data))).not.toContain('@');
  });

  it('deleting the draft is the rejection', async () => {
    const { requestId } = await h.deliverWebhook('1003');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    await gmail.deleteDraftAsUser(OWNER, draftOf(requestId).id);
    await h.waitForState(requestId, ['rejected']);
    await until(
      () => notesFor('1003').some((n) => n.includes('verworfen') && n.includes(requestId)),
      'the rejection note',
    );
  });

  it('follows a draft the rep edits (Gmail gives it a new message id) instead of taking it for a rejection', async () => {
    const { requestId } = await h.deliverWebhook('1001');
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    const pushesBefore = gmail.pushes.length;
    const edited = await gmail.editDraftAsUser(
      OWNER,
      draftOf(requestId).id,
      'Sehr geehrte Frau Musterfrau,\npasst Ihnen Dienstag?',
    );
    await until(() => gmail.pushes.length > pushesBefore, 'the push for the edit');
    await until(
      async () =>
        (await h.ctx.queues['mail-events'].getWaitingCount()) +
          (await h.ctx.queues['mail-events'].getActiveCount()) ===
        0,
      'the push processed',
    );
    expect((await h.waitForState(requestId, ['awaiting_review', 'rejected'])).state).toBe('awaiting_review');
    await gmail.sendDraftAsUser(OWNER, edited.id);
    await h.waitForState(requestId, ['sent']);
  });

  it('keeps the largest historyId: an older push changes nothing, and renewing the watch does not move it', async () => {
    // The previous case's pushes (the send, its history) must be processed first, or they move the id under us.
    const pushesSoFar = gmail.pushes.length;
    await wait(300);
    await until(() => gmail.pushes.length === pushesSoFar, 'no further pushes');
    await until(
      async () =>
        (await h.ctx.queues['mail-events'].getWaitingCount()) +
          (await h.ctx.queues['mail-events'].getActiveCount()) ===
        0,
      'the pushes processed',
    );
    const watch = h.workers!.deps.approvals as GmailWatch;
    const ref = watch.ref(OWNER);
    const key = `${h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX}:gmailwatch:mailbox:${ref}`;
    const stored = (await h.ctx.redis.hget(key, 'historyId'))!;
    expect(await watch.changes(ref, String(BigInt(stored) - 1n))).toEqual([]);
    expect(await h.ctx.redis.hget(key, 'historyId')).toBe(stored);
    const expiration = gmail.mailbox(OWNER).watch!.expiration;
    await wait(5);
    expect(await watch.renewAll()).toBeGreaterThanOrEqual(1);
    expect(gmail.mailbox(OWNER).watch!.expiration).toBeGreaterThan(expiration);
    expect(await h.ctx.redis.hget(key, 'historyId')).toBe(stored);
    const schedulers = await h.ctx.queues['mail-events'].getJobSchedulers();
    expect(schedulers.map((j) => [j.name, j.every])).toContainEqual(['renew-gmail-watch', 86_400_000]);
  });

  it('resyncs the label when Gmail no longer has the stored historyId (404)', async () => {
    const { requestId } = await h.deliverWebhook('1002');
    await h.waitForState(requestId, ['awaiting_review']);
    const mailbox = h.draftsFor(requestId)[0]!.mailbox;
    gmail.expireHistory(mailbox);
    await gmail.sendDraftAsUser(mailbox, draftOf(requestId).id);
    await h.waitForState(requestId, ['sent']);
    expect(gmail.requests.some((r) => r.path.endsWith('/history') && r.method === 'GET')).toBe(true);
    expect(
      gmail.requests.some((r) => r.path.endsWith('/messages') && typeof r.query.labelIds === 'string'),
    ).toBe(true);
  });

  it('makes one draft under 429, 403 rateLimitExceeded and 503 answers and a redelivered webhook', async () => {
    gmail.inject({ status: 429, retryAfterSeconds: 0, method: 'POST', path: /\/drafts$/ });
    gmail.inject({ status: 403, method: 'POST', path: /\/drafts$/ });
    gmail.inject({ status: 503, method: 'POST', path: /\/drafts$/ });
    const eventId = 8_800_001;
    const { requestId } = await h.deliverWebhook('1006', { eventId });
    await h.deliverWebhook('1006', { eventId, attemptNumber: 1 });
    await h.waitForState(requestId, ['awaiting_review'], 30_000);
    expect(h.draftsFor(requestId)).toHaveLength(1);
  });

  it('refuses push requests without a valid Google OIDC token (401): missing, forged, expired, wrong audience, wrong or unverified email', async () => {
    const body = {
      message: {
        data: Buffer.from(JSON.stringify({ emailAddress: OWNER, historyId: '1' })).toString('base64'),
        messageId: '1',
        publishTime: new Date().toISOString(),
      },
      subscription: 'projects/p/subscriptions/s',
    };
    const post = (token?: string) =>
      h.app.inject({
        method: 'POST',
        url: '/webhooks/gmail',
        payload: body,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const now = Math.floor(Date.now() / 1000);
    const genuine = gmail.signPushToken();
    const kid = JSON.parse(Buffer.from(genuine.split('.')[0]!, 'base64url').toString()).kid as string;
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const forged = jws.sign({
      header: { alg: 'RS256', kid, typ: 'JWT' },
      payload: JSON.parse(Buffer.from(genuine.split('.')[1]!, 'base64url').toString()),
      privateKey,
    });

    expect((await post()).statusCode).toBe(401);
    expect((await post(forged)).statusCode).toBe(401);
    expect((await post(gmail.signPushToken({ iat: now - 7200, exp: now - 3600 }))).statusCode).toBe(401);
    expect(
      (await post(gmail.signPushToken({ aud: 'https://someone-else.example.com/push' }))).statusCode,
    ).toBe(401);
    expect((await post(gmail.signPushToken({ email: 'attacker@evil-project.test' }))).statusCode).toBe(401);
    expect((await post(gmail.signPushToken({ email_verified: false }))).statusCode).toBe(401);
    expect((await post(genuine)).statusCode).toBe(204);
    // Authentic but not a Gmail notification: 400.
    const bad = await h.app.inject({
      method: 'POST',
      url: '/webhooks/gmail',
      payload: { message: { data: Buffer.from('nope').toString('base64') } },
      headers: { authorization: `Bearer ${genuine}` },
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe('a worker killed in the middle of creating a Gmail draft', () => {
  let h: PipelineHarness;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    h = await startPipelineHarness({ mail: 'gmail', withWorkers: false });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await h.close();
  });

  it('yields exactly one draft after a restart (SIGKILL between drafts.create and its answer)', async () => {
    const gmail = h.sandbox.gmail!;
    child = spawn(process.execPath, [new URL('../support/worker-process.ts', import.meta.url).pathname], {
      env: childEnv(h),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => String(d).includes('ready') && resolve());
      child!.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });
    // Gmail stores the draft at once but answers only after 1.5 s: the worker dies waiting.
    gmail.inject({ responseDelayMs: 1500, method: 'POST', path: /\/drafts$/, times: 1 });
    const creates = () => gmail.requests.filter((r) => r.method === 'POST' && /\/drafts$/.test(r.path));
    const { requestId } = await h.deliverWebhook('1001');
    await until(() => creates().length > 0, 'drafts.create', 10_000);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    await until(() => h.draftsFor(requestId).length === 1, 'the stored draft', 5_000);
    expect(
      await h.ctx.redis.hget(`${h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX}:request:${requestId}`, 'state'),
    ).toBe('drafted');

    // A fresh worker picks the stalled job up, finds the draft by its Message-ID and header, and labels it.
    await h.startWorkers();
    await h.waitForState(requestId, ['awaiting_review'], 20_000);
    await h.waitForCrmNote(requestId);
    expect(h.draftsFor(requestId)).toHaveLength(1);
    expect(h.draftsFor(requestId)[0]!.categories).toEqual(['KI-Entwurf – bitte prüfen']);
    expect(creates()).toHaveLength(1);
  });
});

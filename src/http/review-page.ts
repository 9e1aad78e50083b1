import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app.ts';
import { RequestId } from '../pipeline/jobs.ts';
import { retryDeadLetter } from '../ops/dead-letters.ts';
import { DAILY_COUNTERS, ReviewLedger, type LedgerSnapshot } from '../ops/review-ledger.ts';
import { hasRole, requireRole, type Authenticator, type Caller } from './access.ts';

/**
 * GET /ops: the review page (viewer). Server-rendered HTML with inline SVG, no script. It shows ids,
 * CRM owner ids, codes and counts only; a mailbox appears as its owner's CRM id, never an address.
 * POST /ops/dead-letters/:requestId/retry (operator) restarts a dead-lettered request; browsers
 * (session cookie or Basic auth, both sent by the browser on its own) must send the form's CSRF token.
 * `Accept: application/json` on GET /ops gives the same numbers as JSON.
 */

export interface ReviewView {
  generatedAt: string;
  reviewMaxAgeMs: number;
  awaiting: { requestId: string; ownerId: string; since: string; ageMs: number; overdue: boolean }[];
  mailboxes: { ownerId: string; waiting: number; oldestAgeMs: number }[];
  days: LedgerSnapshot['days'];
  blockedByCategory: Record<string, number>;
  leakGuardByType: Record<string, number>;
  deadLetters: { requestId: string; stage: string; error: string; at: string }[];
  failed: { requestId: string; reason: string; at: string }[];
  lastAuditVerification: LedgerSnapshot['lastAuditVerification'];
  verifications: LedgerSnapshot['verifications'];
  lastRetentionRun: LedgerSnapshot['lastRetentionRun'];
}

/** Reads the ledger, checks each listed request still exists and is still in that state. */
export async function reviewView(
  ctx: AppContext,
  ledger: ReviewLedger,
  now = Date.now(),
): Promise<ReviewView> {
  await ledger.catchUp();
  const snap = await ledger.snapshot({ now });
  const facts = await requestFacts(ctx, [
    ...snap.awaiting.map((a) => a.requestId),
    ...snap.deadLetters.map((d) => d.requestId),
    ...(snap.failed ?? []).map((f) => f.requestId),
  ]);
  const gone: string[] = [];
  const maxAge = ctx.policy.mail.reviewMaxAge;
  const awaiting = snap.awaiting.flatMap(({ requestId, since }) => {
    const [state, ownerId] = facts.get(requestId) ?? [null, null];
    if (state !== 'awaiting_review') {
      gone.push(requestId);
      return [];
    }
    return [
      {
        requestId,
        ownerId: ownerId ?? 'unknown',
        since: new Date(since).toISOString(),
        ageMs: now - since,
        overdue: now - since > maxAge,
      },
    ];
  });
  const deadLetters = snap.deadLetters.flatMap((d) => {
    const [state] = facts.get(d.requestId) ?? [null];
    if (state === null) {
      gone.push(d.requestId);
      return [];
    }
    return [{ requestId: d.requestId, stage: d.stage, error: d.error, at: new Date(d.at).toISOString() }];
  });
  // A failed request whose record is gone (erased, expired) leaves the list too.
  const failed = (snap.failed ?? []).filter(
    (f) => (facts.get(f.requestId)?.[0] ?? null) !== null || (gone.push(f.requestId), false),
  );
  await ledger.forget(
    gone.filter(
      (id) =>
        !awaiting.some((a) => a.requestId === id) &&
        !deadLetters.some((d) => d.requestId === id) &&
        !failed.some((f) => f.requestId === id),
    ),
  );
  return {
    generatedAt: new Date(now).toISOString(),
    reviewMaxAgeMs: maxAge,
    awaiting,
    mailboxes: mailboxSummaries(awaiting),
    days: snap.days,
    blockedByCategory: snap.blockedByCategory,
    leakGuardByType: snap.leakGuardByType,
    deadLetters,
    failed: failed.map((f) => ({
      requestId: f.requestId,
      reason: f.reason,
      at: new Date(f.at).toISOString(),
    })),
    lastAuditVerification: snap.lastAuditVerification,
    verifications: snap.verifications,
    lastRetentionRun: snap.lastRetentionRun,
  };
}

/** State, owner and reason of each request record, by id: [null, null, null] when the record is gone. */
async function requestFacts(
  ctx: AppContext,
  ids: string[],
): Promise<Map<string, [string | null, string | null, string | null]>> {
  const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
  const pipeline = ctx.redis.pipeline();
  for (const id of ids) pipeline.hmget(`${prefix}:request:${id}`, 'state', 'ownerId', 'reason');
  const rows = ((await pipeline.exec()) ?? []).map(
    ([, v]) => v as [string | null, string | null, string | null],
  );
  return new Map(ids.map((id, i) => [id, rows[i]!]));
}

/** Drafts waiting per mailbox (CRM owner), the mailbox with the oldest draft first. */
function mailboxSummaries(awaiting: ReviewView['awaiting']): ReviewView['mailboxes'] {
  const byOwner = new Map<string, { ownerId: string; waiting: number; oldestAgeMs: number }>();
  for (const a of awaiting) {
    const m = byOwner.get(a.ownerId) ?? { ownerId: a.ownerId, waiting: 0, oldestAgeMs: 0 };
    m.waiting++;
    m.oldestAgeMs = Math.max(m.oldestAgeMs, a.ageMs);
    byOwner.set(a.ownerId, m);
  }
  return [...byOwner.values()].sort((a, b) => b.oldestAgeMs - a.oldestAgeMs);
}

const RetryParams = z.object({ requestId: RequestId });

export async function reviewPage(
  app: FastifyInstance,
  opts: { ctx: AppContext; auth: Authenticator },
): Promise<void> {
  const { ctx, auth } = opts;
  const ledger = new ReviewLedger(ctx.redis, ctx.audit, ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX);
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieOpts: { signed: true, httpOnly: true, secure: true, sameSite: 'lax', path: '/ops' },
  });

  app.get('/ops', { onRequest: requireRole(auth, 'viewer') }, async (request, reply) => {
    const view = await reviewView(ctx, ledger);
    reply.header('cache-control', 'no-store');
    if ((request.headers.accept ?? '').includes('application/json')) return view;
    const caller = request.caller!;
    const csrf = hasRole(caller, 'operator') ? reply.generateCsrf() : undefined;
    const notice =
      typeof (request.query as Record<string, unknown>).notice === 'string'
        ? String((request.query as Record<string, string>).notice)
        : undefined;
    return reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      )
      .send(renderReviewPage(view, caller, csrf, notice));
  });

  // CSRF matters where the browser adds the credential by itself: the session cookie and Basic auth.
  const csrfWhenAmbient = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    if (request.caller?.via === 'session' || request.caller?.via === 'basic')
      app.csrfProtection(request, reply, done);
    else done();
  };

  app.post(
    '/ops/dead-letters/:requestId/retry',
    { onRequest: requireRole(auth, 'operator'), preHandler: csrfWhenAmbient },
    async (request, reply) => {
      const params = RetryParams.safeParse(request.params);
      if (!params.success) return reply.code(400).send({ error: 'not a request id', code: 'bad_request_id' });
      const outcome = await retryDeadLetter(ctx, params.data.requestId, request.caller!.actor);
      await ledger.catchUp();
      const wantsPage = (request.headers.accept ?? '').includes('text/html');
      if (wantsPage) return reply.redirect(`/ops?notice=${outcome.ok ? 'retried' : outcome.code}`, 303);
      if (!outcome.ok)
        return reply
          .code(outcome.code === 'request_gone' ? 404 : 409)
          .send({ error: 'cannot retry', code: outcome.code });
      return reply.code(202).send({ requestId: params.data.requestId, restarted: outcome.restarted });
    },
  );
}

// ---- rendering (every value is escaped; the values are ids, codes, counts and times anyway) ----

const esc = (v: unknown) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours <= 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

const NOTICES: Record<string, string> = {
  retried: 'The request was restarted from intake.',
  not_dead_lettered: 'That request is not dead-lettered (any more).',
  busy: 'That request is being processed right now; try again in a moment.',
  request_gone: 'That request no longer exists (expired or erased).',
};

const SERIES = [
  { key: 'approved', label: 'approved', color: '#2e7d32' },
  { key: 'rejected', label: 'rejected', color: '#c62828' },
  { key: 'replied', label: 'replies', color: '#1565c0' },
] as const;

function dailyChart(days: LedgerSnapshot['days']): string {
  const width = 560;
  const height = 140;
  const max = Math.max(1, ...days.flatMap((d) => SERIES.map((s) => d.counts[s.key])));
  const slot = width / days.length;
  const bar = Math.max(2, (slot - 6) / SERIES.length);
  const bars = days
    .map((d, i) =>
      SERIES.map((s, j) => {
        const h = Math.round((d.counts[s.key] / max) * (height - 20));
        return `<rect x="${(i * slot + 3 + j * bar).toFixed(1)}" y="${height - 16 - h}" width="${bar.toFixed(1)}" height="${h}" fill="${s.color}"><title>${esc(d.day)} ${s.label}: ${d.counts[s.key]}</title></rect>`;
      }).join(''),
    )
    .join('');
  const labels = days
    .map((d, i) =>
      i % 2 === 0
        ? `<text x="${(i * slot + slot / 2).toFixed(1)}" y="${height - 3}" font-size="9" text-anchor="middle">${esc(d.day.slice(5))}</text>`
        : '',
    )
    .join('');
  return `<svg role="img" aria-label="approvals, rejections and replies per day" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars}${labels}</svg>`;
}

function countBars(counts: Record<string, number>, color: string): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return '<p class="muted">none</p>';
  const max = Math.max(...entries.map(([, n]) => n));
  const rows = entries
    .map(
      ([k, n], i) =>
        `<text x="0" y="${i * 20 + 13}" font-size="12">${esc(k)}</text><rect x="130" y="${i * 20 + 3}" width="${Math.max(2, Math.round((n / max) * 200))}" height="14" fill="${color}"></rect><text x="${140 + Math.round((n / max) * 200)}" y="${i * 20 + 14}" font-size="12" data-count="${esc(k)}">${n}</text>`,
    )
    .join('');
  return `<svg role="img" width="380" height="${entries.length * 20 + 4}">${rows}</svg>`;
}

function verificationText(v: ReviewView['verifications']['full']): string {
  if (!v) return 'never';
  return `${esc(v.at)}: ${v.ok ? 'ok' : `broken at ${esc(v.brokenAt ?? '?')}`} (${v.events} events in ${v.durationMs} ms)`;
}

export function renderReviewPage(
  view: ReviewView,
  caller: Caller,
  csrf: string | undefined,
  notice?: string,
): string {
  const totals = Object.fromEntries(
    DAILY_COUNTERS.map((c) => [c, view.days.reduce((n, d) => n + d.counts[c], 0)]),
  );
  const mailboxRows = view.mailboxes
    .map(
      (m) =>
        `<tr><td>owner ${esc(m.ownerId)}</td><td class="num">${m.waiting}</td><td>${formatAge(m.oldestAgeMs)}</td></tr>`,
    )
    .join('');
  const awaitingRows = view.awaiting
    .map(
      (a) =>
        `<tr${a.overdue ? ' class="overdue"' : ''}><td><code>${esc(a.requestId)}</code></td><td>owner ${esc(a.ownerId)}</td><td>${formatAge(a.ageMs)}${a.overdue ? ' (overdue)' : ''}</td></tr>`,
    )
    .join('');
  const dayRows = [...view.days]
    .reverse()
    .map(
      (d) =>
        `<tr><td>${esc(d.day)}</td>${DAILY_COUNTERS.map((c) => `<td class="num">${d.counts[c]}</td>`).join('')}</tr>`,
    )
    .join('');
  const deadRows = deadLetterRows(view.deadLetters, csrf);
  const failedRows = view.failed
    .map(
      (f) =>
        `<tr><td><code>${esc(f.requestId)}</code></td><td><code>${esc(f.reason)}</code></td><td>${esc(f.at)}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>draftbridge review</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222;width:min(70rem,100%)}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.8rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left}
.num{text-align:right}.muted{color:#777}.overdue td{background:#fff3e0}.tiles{display:flex;gap:1rem;flex-wrap:wrap}
.tile{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:8rem}.tile b{display:block;font-size:1.6rem}
.notice{background:#e3f2fd;padding:.5rem 1rem;border-radius:4px}
</style></head><body>
<h1>draftbridge review</h1>
<p class="muted">Signed in as ${esc(caller.roles.join(', ') || 'no role')} (${esc(caller.via)}). Generated ${esc(view.generatedAt)}.${caller.via === 'session' ? ' <a href="/auth/logout">Sign out</a>' : ''} <a href="/ops/queues">Queues</a>${caller.roles.includes('dpo') ? ' <a href="/privacy/compliance" id="compliance-link">Compliance documents</a>' : ''}</p>
${notice && Object.hasOwn(NOTICES, notice) ? `<p class="notice" id="notice">${esc(NOTICES[notice]!)}</p>` : ''}
<div class="tiles">
<div class="tile">awaiting review<b id="awaiting-count">${view.awaiting.length}</b></div>
<div class="tile">overdue (&gt; ${formatAge(view.reviewMaxAgeMs)})<b id="overdue-count">${view.awaiting.filter((a) => a.overdue).length}</b></div>
<div class="tile">approved (14 d)<b id="approved-total">${totals.approved}</b></div>
<div class="tile">rejected (14 d)<b id="rejected-total">${totals.rejected}</b></div>
<div class="tile">replies (14 d)<b id="replied-total">${totals.replied}</b></div>
<div class="tile">dead-lettered<b id="dead-letter-count">${view.deadLetters.length}</b></div>
</div>
<h2>Drafts awaiting review, per mailbox</h2>
${mailboxRows ? `<table><tr><th>mailbox (CRM owner)</th><th>waiting</th><th>oldest</th></tr>${mailboxRows}</table>` : '<p class="muted">none</p>'}
${awaitingRows ? `<h3>Oldest first</h3><table id="awaiting"><tr><th>request</th><th>mailbox</th><th>age</th></tr>${awaitingRows}</table>` : ''}
<h2>Decisions per day</h2>
${dailyChart(view.days)}
<p>${SERIES.map((s) => `<span style="color:${s.color}">■</span> ${s.label}`).join(' &nbsp; ')}</p>
<table id="days"><tr><th>day</th>${DAILY_COUNTERS.map((c) => `<th>${esc(c.replace('_', ' '))}</th>`).join('')}</tr>${dayRows}</table>
<h2>Blocked (special categories)</h2>
<div id="blocked">${countBars(view.blockedByCategory, '#6a1b9a')}</div>
<h2>Leak guard refusals by type</h2>
<div id="leak-guard">${countBars(view.leakGuardByType, '#ef6c00')}</div>
<h2>Dead-lettered requests</h2>
${deadRows ? `<table id="dead-letters"><tr><th>request</th><th>stage</th><th>error code</th><th>when</th><th></th></tr>${deadRows}</table>` : '<p class="muted">none</p>'}
<h2>Failed requests</h2>
<p class="muted">Ended without a draft for a reason a retry does not fix (unknown contact, no e-mail, no owner mailbox); the last 50.</p>
${failedRows ? `<table id="failed"><tr><th>request</th><th>reason</th><th>when</th></tr>${failedRows}</table>` : '<p class="muted" id="failed">none</p>'}
<h2>Audit and retention</h2>
${auditAndRetentionTable(view)}
</body></html>`;
}

/** One row per dead-lettered request; operators (the only callers given a CSRF token) get a Retry form. */
function deadLetterRows(deadLetters: ReviewView['deadLetters'], csrf: string | undefined): string {
  const operator = csrf !== undefined;
  return deadLetters
    .map(
      (d) =>
        `<tr><td><code>${esc(d.requestId)}</code></td><td>${esc(d.stage)}</td><td><code>${esc(d.error)}</code></td><td>${esc(d.at)}</td><td>${
          operator
            ? `<form method="post" action="/ops/dead-letters/${encodeURIComponent(d.requestId)}/retry"><input type="hidden" name="_csrf" value="${esc(csrf)}"><button type="submit" data-retry="${esc(d.requestId)}">Retry</button></form>`
            : '<span class="muted">operators can retry</span>'
        }</td></tr>`,
    )
    .join('');
}

/** When the audit chain was last verified (any, incremental, full) and the retention sweeper last ran. */
function auditAndRetentionTable(view: ReviewView): string {
  const verified = view.lastAuditVerification;
  const retention = view.lastRetentionRun;
  return `<table>
<tr><th>audit chain last verified</th><td id="audit-verified">${verified ? `${esc(verified.at)}: ${esc(verified.outcome)}${verified.checked !== null ? ` (${verified.checked} events)` : ''}` : 'never (run <code>draftbridge audit verify</code>)'}</td></tr>
<tr><th>last incremental verification (from the checkpoint)</th><td id="audit-verified-incremental">${verificationText(view.verifications.incremental)}</td></tr>
<tr><th>last full verification (<code>--full</code>)</th><td id="audit-verified-full">${verificationText(view.verifications.full)}</td></tr>
<tr><th>retention sweeper last run</th><td id="retention-run">${retention ? `${esc(retention.at)}: ${esc(retention.outcome)}` : 'never (run <code>draftbridge retention run</code>)'}</td></tr>
</table>`;
}

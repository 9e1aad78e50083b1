import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppContext, type AppContext } from '../../src/app.ts';
import { policySha256 } from '../../src/compliance/facts.ts';
import { privacyRoutes } from '../../src/http/privacy-routes.ts';
import { renderReviewPage, type ReviewView } from '../../src/http/review-page.ts';
import { buildServer } from '../../src/http/server.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/env.ts';
import { hubspotOutlookAzure, replaceOnce } from './deployments.ts';

const TOKENS = {
  viewer: 'viewer-token-0123456789abcdef',
  operator: 'operator-token-0123456789abcdef',
  dpo: 'dpo-token-0123456789abcdef',
};

describe('GET /privacy/compliance', () => {
  let dir: string;
  let policyFile: string;
  let ctx: AppContext;
  let app: FastifyInstance;
  const deployment = hubspotOutlookAzure();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'draftbridge-compliance-route-'));
    policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, deployment.policyText);
    const settings = hubspotOutlookAzure({
      REDIS_URL,
      DRAFTBRIDGE_QUEUE_PREFIX: uniquePrefix('compliance'),
      DRAFTBRIDGE_POLICY: policyFile,
      DRAFTBRIDGE_VIEWER_TOKEN: TOKENS.viewer,
      DRAFTBRIDGE_OPERATOR_TOKEN: TOKENS.operator,
      DRAFTBRIDGE_DPO_TOKEN: TOKENS.dpo,
      LOG_LEVEL: 'silent',
    }).settings;
    ctx = createAppContext(settings, deployment.policy);
    app = await buildServer(ctx, [async (a) => a.register(privacyRoutes(ctx))]);
    await ctx.ready();
  });

  afterAll(async () => {
    await app.close();
    const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
    await ctx.close();
    await deletePrefix(prefix);
    await rm(dir, { recursive: true, force: true });
  });

  const get = (url: string, token?: string, accept?: string) =>
    app.inject({
      method: 'GET',
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(accept ? { accept } : {}) },
    });

  it('is for the dpo only: 401 without a credential, 403 for viewers and operators', async () => {
    expect((await get('/privacy/compliance')).statusCode).toBe(401);
    expect((await get('/privacy/compliance', TOKENS.viewer)).statusCode).toBe(403);
    expect((await get('/privacy/compliance', TOKENS.operator)).statusCode).toBe(403);
    expect((await get('/privacy/compliance', TOKENS.dpo)).statusCode).toBe(200);
  });

  it('answers JSON with every document, HTML for a browser, Markdown on request', async () => {
    const json = (await get('/privacy/compliance', TOKENS.dpo)).json();
    expect(json.policySha256).toBe(policySha256(deployment.policyText));
    expect(json.documents).toHaveLength(12);
    expect(json.config.crm.id).toBe('hubspot');
    const record = json.documents.find(
      (d: { id: string; lang: string }) => d.id === 'record' && d.lang === 'en',
    );
    expect(record.markdown).toContain('HubSpot CRM');
    expect(record.markdown).not.toContain('Salesforce');

    const html = await get('/privacy/compliance?lang=de', TOKENS.dpo, 'text/html');
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('<section lang="de">');
    expect(html.body).not.toContain('<section lang="en">');
    expect(html.body).toContain('Verzeichnis von Verarbeitungstätigkeiten');

    const md = await get('/privacy/compliance?lang=en&format=md', TOKENS.dpo);
    expect(md.headers['content-type']).toContain('text/markdown');
    expect(md.body).toContain('# Deletion concept');
    expect((await get('/privacy/compliance?lang=fr', TOKENS.dpo)).statusCode).toBe(400);
  });

  it('every generation is audited with the policy hash and the caller, without personal data', async () => {
    await get('/privacy/compliance?format=md', TOKENS.dpo);
    const events = await ctx.audit.read();
    const generated = events.filter((e) => e.type === 'compliance.generated');
    expect(generated.length).toBeGreaterThan(0);
    expect(generated.at(-1)).toMatchObject({
      actor: 'token:dpo',
      outcome: 'ok',
      details: { policySha256: policySha256(deployment.policyText), format: 'md', documents: 12 },
    });
    expect(
      events.some(
        (e) => e.type === 'privacy.call' && e.details.action === 'compliance' && e.outcome === 'forbidden',
      ),
    ).toBe(true);
    expect(JSON.stringify(generated)).not.toContain('Beispiel Vertrieb');
  });

  it('refuses while the policy file differs from the policy the service runs', async () => {
    await writeFile(policyFile, replaceOnce(deployment.policyText, '  request: 30d ', '  request: 7d '));
    try {
      const res = await get('/privacy/compliance', TOKENS.dpo);
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('policy_changed');
    } finally {
      await writeFile(policyFile, deployment.policyText);
    }
  });

  it('/ops links to the documents for a caller who also holds the dpo role', () => {
    const view: ReviewView = {
      generatedAt: '',
      reviewMaxAgeMs: 1,
      awaiting: [],
      mailboxes: [],
      verifications: { incremental: null, full: null },
      failed: [],
      days: [],
      blockedByCategory: {},
      leakGuardByType: {},
      deadLetters: [],
      lastAuditVerification: null,
      lastRetentionRun: null,
    };
    expect(
      renderReviewPage(view, { roles: ['viewer', 'dpo'], actor: 'oidc:x', via: 'oidc' }, undefined),
    ).toContain('href="/privacy/compliance"');
    expect(
      renderReviewPage(view, { roles: ['viewer'], actor: 'token:viewer', via: 'token' }, undefined),
    ).not.toContain('/privacy/compliance');
  });
});

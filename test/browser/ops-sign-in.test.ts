import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leakedValues, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/**
 * The ops pages in Debian's headless Chromium (never a downloaded browser): sign in through the
 * simulated Entra ID with PKCE, read the review page, retry a dead-lettered request as an operator,
 * be refused as a viewer. The screenshot lands in test-results/ (a CI artifact).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('ops pages in a browser', () => {
  let h: PipelineHarness;
  let browser: Browser;
  let base: string;
  const ids = { review: '', dead: '' };

  beforeAll(async () => {
    h = await startPipelineHarness();
    base = h.ctx.settings.publicUrl;
    ids.review = (await h.deliverWebhook('1001')).requestId;
    h.sandbox.hubspot.inject({
      status: 403,
      times: 1,
      path: /\/crm\/v3\/objects\/contacts\/1006$/,
      method: 'GET',
    });
    ids.dead = (await h.deliverWebhook('1006')).requestId;
    await h.waitForState(ids.review, ['awaiting_review']);
    await h.waitForState(ids.dead, ['failed']);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  async function signIn(context: BrowserContext, who: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${base}/ops`);
    // Redirected to the provider's sign-in page (the simulator's user picker).
    await expect.poll(() => page.url()).toContain('/oauth2/v2.0/authorize');
    await page.getByRole('button', { name: `Sign in as ${who}` }).click();
    await page.waitForURL(`${base}/ops`);
    return page;
  }

  it('an operator signs in, sees the numbers and retries a dead-lettered request', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'Olivia Operator');
    const session = (await context.cookies()).find((c) => c.name === 'draftbridge_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
    expect(await page.locator('#awaiting-count').textContent()).toBe('1');
    expect(await page.locator('#dead-letter-count').textContent()).toBe('1');
    expect(await page.locator('#dead-letters').textContent()).toContain('UpstreamRejected');
    expect(leakedValues([await page.content()], h.personalValues())).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/ops-review-operator.png', fullPage: true });

    // A state-changing request without the form's CSRF token is refused, even with the session.
    const forged = await context.request.post(`${base}/ops/dead-letters/${ids.dead}/retry`, {
      form: { _csrf: 'forged' },
    });
    expect(forged.status()).toBe(403);

    await page.locator(`button[data-retry="${ids.dead}"]`).click();
    await page.waitForURL(/notice=retried/);
    expect(await page.locator('#notice').textContent()).toContain('restarted');
    await h.waitForState(ids.dead, ['awaiting_review']);
    await page.goto(`${base}/ops`);
    expect(await page.locator('#awaiting-count').textContent()).toBe('2');
    expect(await page.locator('#dead-letter-count').textContent()).toBe('0');
    await context.close();
  });

  it('a viewer sees the page without retry buttons and is refused the operator actions', async () => {
    const context = await browser.newContext();
    const page = await signIn(context, 'Vera Viewer');
    expect(await page.locator('#awaiting-count').textContent()).toBe('2');
    expect(await page.locator('button[data-retry]').count()).toBe(0);
    const board = await page.goto(`${base}/ops/queues/manage`);
    expect(board?.status()).toBe(403);
    const readOnly = await page.goto(`${base}/ops/queues`);
    expect(readOnly?.status()).toBe(200);
    const retry = await context.request.post(`${base}/ops/dead-letters/${ids.dead}/retry`, { form: {} });
    expect(retry.status()).toBe(403);
    await context.close();
  });

  it('someone without an app role is signed in but refused the page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/ops`);
    await page.getByRole('button', { name: 'Sign in as Nora Norole' }).click();
    await page.waitForURL(`${base}/ops`);
    expect(await page.textContent('body')).toContain('the viewer role is required');
    await context.close();
  });
});

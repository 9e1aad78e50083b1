import { AzureOpenAI, OpenAI } from 'openai';
import { hostOf, networkReason } from '../../src/errors.ts';
import type { DoctorCheck, DoctorContext } from '../../src/ports.ts';

/**
 * The LLM routes: one tiny prompt (a few tokens, no personal data) to each configured route, and
 * for Azure the region that served it (`x-ms-region`) against the policy's allowedRegions: a
 * deployment outside the EU (or a Global deployment type) fails here even when the variable says EU.
 */
const PROMPT = [{ role: 'user' as const, content: 'Reply with OK.' }];

export async function llmDoctor(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const { settings, policy } = ctx;
  const rows: DoctorCheck[] = [];
  if (settings.AZURE_OPENAI_ENDPOINT) {
    const client = new AzureOpenAI({ endpoint: settings.AZURE_OPENAI_ENDPOINT, apiVersion: settings.AZURE_OPENAI_API_VERSION, deployment: settings.AZURE_OPENAI_DEPLOYMENT ?? '', apiKey: settings.AZURE_OPENAI_API_KEY ?? '', maxRetries: 0, timeout: ctx.timeoutMs });
    try {
      const { response } = await client.chat.completions.create({ model: settings.AZURE_OPENAI_DEPLOYMENT ?? '', messages: PROMPT, max_tokens: 5 }).withResponse();
      rows.push({ name: 'LLM eu', ok: true, detail: `deployment ${settings.AZURE_OPENAI_DEPLOYMENT} on ${hostOf(settings.AZURE_OPENAI_ENDPOINT)} answered` });
      rows.push(regionRow(response.headers.get('x-ms-region'), settings.AZURE_OPENAI_REGION, policy.llm.allowedRegions));
    } catch (err) {
      rows.push(llmProblem('eu', err, settings.AZURE_OPENAI_ENDPOINT, { auth: 'AZURE_OPENAI_API_KEY', model: 'AZURE_OPENAI_DEPLOYMENT', url: 'AZURE_OPENAI_ENDPOINT' }));
    }
  } else rows.push({ name: 'LLM eu', ok: true, skipped: true, detail: 'no Azure OpenAI deployment configured' });
  if (settings.LOCAL_LLM_BASE_URL) {
    const client = new OpenAI({ baseURL: settings.LOCAL_LLM_BASE_URL, apiKey: 'local', maxRetries: 0, timeout: ctx.timeoutMs });
    try {
      await client.chat.completions.create({ model: settings.LOCAL_LLM_MODEL ?? '', messages: PROMPT, max_tokens: 5 });
      rows.push({ name: 'LLM local', ok: true, detail: `model ${settings.LOCAL_LLM_MODEL} on ${hostOf(settings.LOCAL_LLM_BASE_URL)} answered` });
    } catch (err) {
      rows.push(llmProblem('local', err, settings.LOCAL_LLM_BASE_URL, { auth: 'LOCAL_LLM_BASE_URL', model: 'LOCAL_LLM_MODEL', url: 'LOCAL_LLM_BASE_URL' }));
    }
  }
  return rows;
}

/** "Sweden Central" → "swedencentral", as policy and AZURE_OPENAI_REGION name regions. */
const regionKey = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

function regionRow(served: string | null, configured: string | undefined, allowed: readonly string[]): DoctorCheck {
  const allowedKeys = allowed.map(regionKey);
  if (!served) return { name: 'LLM region', ok: Boolean(configured && allowedKeys.includes(regionKey(configured))), detail: `the deployment does not name its region; AZURE_OPENAI_REGION=${configured ?? '(unset)'} is taken as given`, setting: 'AZURE_OPENAI_REGION' };
  if (!allowedKeys.includes(regionKey(served))) {
    return { name: 'LLM region', ok: false, detail: `the deployment answered from ${served}, not on the policy's llm.allowedRegions: use a Standard or Data Zone (EU) deployment in an EU region`, setting: 'AZURE_OPENAI_ENDPOINT' };
  }
  if (configured && regionKey(configured) !== regionKey(served)) {
    return { name: 'LLM region', ok: false, detail: `the deployment answered from ${served} but AZURE_OPENAI_REGION says ${configured}`, setting: 'AZURE_OPENAI_REGION' };
  }
  return { name: 'LLM region', ok: true, detail: `served from ${served} (allowed)` };
}

function llmProblem(route: string, err: unknown, url: string, names: { auth: string; model: string; url: string }): DoctorCheck {
  const status = (err as { status?: unknown }).status;
  const name = `LLM ${route}`;
  if (status === 401 || status === 403) return { name, ok: false, detail: `${hostOf(url)} refused the key (${status})`, setting: names.auth };
  if (status === 404) return { name, ok: false, detail: `${hostOf(url)} has no such deployment or model (404)`, setting: names.model };
  const reason = networkReason(err) ?? (typeof status === 'number' ? `HTTP ${status}` : err instanceof Error ? err.message : String(err));
  return { name, ok: false, detail: `${hostOf(url)} not reachable (${reason})`, setting: names.url };
}

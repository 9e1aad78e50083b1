import type { DoctorCheck, DoctorContext } from '../../ports.ts';
import { networkReason } from '../../errors.ts';
import { regionProblem } from '../config-check.ts';

/**
 * The service's own address and the configuration a live check cannot see: the public URL must be
 * https (HubSpot and Graph call only https) and answer /healthz from here; a policy route to `local`
 * needs a local model; without GRAPH_NOTIFICATION_URL approvals are not tracked.
 */
export async function publicUrlChecks(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const url = ctx.settings.publicUrl;
  const rows: DoctorCheck[] = [];
  const https = url.startsWith('https://');
  rows.push(
    https
      ? { name: 'public URL https', ok: true, detail: url }
      : {
          name: 'public URL https',
          ok: false,
          detail: `${url} is not https: HubSpot and Graph deliver webhooks to https only; set the URL your TLS proxy serves`,
          setting: 'DRAFTBRIDGE_PUBLIC_URL',
        },
  );
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(ctx.timeoutMs) });
    await res.arrayBuffer();
    rows.push(
      res.ok
        ? { name: 'public URL reachable', ok: true, detail: `${url}/healthz answered ${res.status}` }
        : {
            name: 'public URL reachable',
            ok: false,
            detail: `${url}/healthz answered ${res.status}: does the proxy forward to draftbridge?`,
            setting: 'DRAFTBRIDGE_PUBLIC_URL',
          },
    );
  } catch (err) {
    const reason = networkReason(err) ?? (err instanceof Error ? err.message : String(err));
    rows.push({
      name: 'public URL reachable',
      ok: false,
      detail: `${url}/healthz not reachable from here (${reason}): is the service running, DNS and the proxy set?`,
      setting: 'DRAFTBRIDGE_PUBLIC_URL',
    });
  }
  return rows;
}

/** Problems in the combination of settings and policy (also start-up warnings in `serve`). */
export async function configChecks(ctx: DoctorContext): Promise<DoctorCheck[]> {
  return configProblems(ctx).map((p) => ({ name: p.name, ok: false, detail: p.detail, setting: p.setting }));
}

export interface ConfigProblem {
  name: string;
  detail: string;
  setting: string;
}

export function configProblems({
  settings,
  policy,
}: Pick<DoctorContext, 'settings' | 'policy'>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const region = regionProblem(settings, policy);
  if (region)
    problems.push({
      name: 'LLM region',
      detail: region.slice(region.indexOf(':') + 2),
      setting: 'AZURE_OPENAI_REGION',
    });
  const localFlows = Object.entries(policy.flows)
    .filter(([, f]) => f.llmRoute === 'local')
    .map(([n]) => n);
  const localSensitive = Object.entries(policy.sensitive)
    .filter(([, a]) => a === 'local')
    .map(([c]) => c);
  if (
    (localFlows.length > 0 || localSensitive.length > 0) &&
    !settings.LOCAL_LLM_BASE_URL &&
    !settings.DRAFTBRIDGE_SANDBOX
  ) {
    const uses = [...localFlows.map((f) => `flow ${f}`), ...localSensitive.map((c) => `sensitive.${c}`)].join(
      ', ',
    );
    problems.push({
      name: 'local LLM route',
      detail: `the policy routes ${uses} to the local model, but none is configured: those drafts become templates`,
      setting: 'LOCAL_LLM_BASE_URL',
    });
  }
  if (
    settings.DRAFTBRIDGE_MAIL === 'graph' &&
    !settings.GRAPH_NOTIFICATION_URL &&
    !settings.DRAFTBRIDGE_SANDBOX
  ) {
    problems.push({
      name: 'Graph approvals',
      detail:
        'no change notifications: sent and deleted drafts are not tracked (no approval or rejection reaches the CRM)',
      setting: 'GRAPH_NOTIFICATION_URL',
    });
  }
  return problems;
}

import { allowedRegionsFor, DEFAULT_EU_REGIONS } from '../llm-residency.ts';
import { createHash } from 'node:crypto';
import { CrmFields, CrmName } from '../crm-fields.ts';
import { noticeFor, type Language, type Policy } from '../policy.ts';
import type { Settings } from '../settings.ts';
import {
  crmSystem,
  hostingSystem,
  llmRouteSystems,
  mailSystem,
  routesInUse,
  settingsView,
  type ConfiguredSystem,
  type LlmRouteSystem,
} from './systems.ts';

/**
 * Everything the DPO's documents state about the system, gathered in one object: `config` from the
 * policy and the settings (what `--check` compares), `measured` from Redis at generation time (the
 * last audit verification and retention sweep). No secret ever enters it: keys and tokens appear
 * only as "set" or "not set", endpoints as hosts.
 */

export interface FlowFacts {
  name: string;
  purpose: string;
  legalBasis: string;
  /** Logical field → the CRM's own field name (contact records). */
  fields: { logical: string; crmName: string }[];
  triggers: string[];
  delivery: 'review' | 'auto';
  llmRoute: string;
  retentionClass: string;
  retentionMs: number | null;
  notice: Record<Language, string>;
}

export interface ConfigFacts {
  policyFile: string;
  policySha256: string;
  sandbox: boolean;
  crm: ConfiguredSystem;
  mail: ConfiguredSystem;
  /** The routes that receive text, with what sends text there (flows, special categories). */
  llmRoutes: (LlmRouteSystem & { usedFor: string[] })[];
  hosting: ConfiguredSystem;
  flows: FlowFacts[];
  retention: Record<string, number>;
  sensitive: Record<string, string>;
  allowedRegions: string[];
  mailRules: {
    reviewCategory: string;
    templateCategory: string;
    allowedLinks: string[];
    reviewMaxAgeMs: number;
    maxBodyChars: number;
  };
  privacy: { eraseOnContactDeletion: boolean; retentionSweepEveryMs: number };
  security: {
    vaultKey: 'set' | 'sandbox development key';
    previousVaultKeys: number;
    auditKey: 'set' | 'sandbox development key';
    /** Which ways of signing in to /ops and /privacy are configured (never their values). */
    credentials: string[];
    publicUrlHttps: boolean;
    redisTls: boolean;
  };
  operator: {
    controller: { name: string | null; address: string | null; contact: string | null };
    dpo: { name: string | null; address: string | null; contact: string | null };
  };
}

export interface MeasuredFacts {
  lastAuditVerification: { at: string; outcome: string; checked: number | null } | null;
  lastRetentionRun: { at: string; outcome: string } | null;
  retentionRuns: { run: number; dryRun: number };
}

export interface ComplianceFacts {
  generatedAt: string;
  config: ConfigFacts;
  measured: MeasuredFacts;
}

export const NOTHING_MEASURED: MeasuredFacts = {
  lastAuditVerification: null,
  lastRetentionRun: null,
  retentionRuns: { run: 0, dryRun: 0 },
};

export function policySha256(policyText: string | Buffer): string {
  return createHash('sha256').update(policyText).digest('hex');
}

function triggerText(t: Policy['triggers'][number]): string {
  const what = t.property ? `${t.event} ${t.property}=${t.value ?? '*'}` : t.event;
  return `${what} (${t.objectTypes.join(', ')})`;
}

function flowFacts(policy: Policy, crm: string): FlowFacts[] {
  const map = CrmName.safeParse(crm).success
    ? new CrmFields(crm as CrmName, 'contact', policy.crm.fields)
    : undefined;
  return Object.entries(policy.flows).map(([name, flow]) => ({
    name,
    purpose: flow.purpose,
    legalBasis: flow.legalBasis,
    fields: flow.fields.map((logical) => ({
      logical,
      crmName: map?.has(logical) ? map.name(logical) : logical,
    })),
    triggers: policy.triggers.filter((t) => t.flow === name).map(triggerText),
    delivery: flow.delivery,
    llmRoute: flow.llmRoute,
    retentionClass: flow.retention,
    retentionMs: policy.retention[flow.retention] ?? null,
    notice: { de: noticeFor(policy, flow, 'de'), en: noticeFor(policy, flow, 'en') },
  }));
}

function credentials(s: Settings): string[] {
  const out: string[] = [];
  if (s.DRAFTBRIDGE_VIEWER_TOKEN) out.push('DRAFTBRIDGE_VIEWER_TOKEN');
  if (s.DRAFTBRIDGE_OPERATOR_TOKEN) out.push('DRAFTBRIDGE_OPERATOR_TOKEN');
  if (s.DRAFTBRIDGE_DPO_TOKEN) out.push('DRAFTBRIDGE_DPO_TOKEN');
  if (s.DRAFTBRIDGE_OPS_TOKEN) out.push('DRAFTBRIDGE_OPS_TOKEN');
  if (s.DRAFTBRIDGE_OIDC_ISSUER) out.push('DRAFTBRIDGE_OIDC_ISSUER');
  if (s.DRAFTBRIDGE_OPS_USER) out.push('DRAFTBRIDGE_OPS_USER');
  return out;
}

const party = (
  p: { name?: string | undefined; address?: string | undefined; contact?: string | undefined } | undefined,
) => ({
  name: p?.name ?? null,
  address: p?.address ?? null,
  contact: p?.contact ?? null,
});

function usedFor(route: string, flows: FlowFacts[], policy: Policy): string[] {
  const categories = Object.entries(policy.sensitive)
    .filter(([, action]) => action === 'local')
    .map(([c]) => c);
  return [
    ...flows.filter((f) => f.llmRoute === route).map((f) => f.name),
    ...(route === 'local' && categories.length ? [`sensitive: ${categories.join(', ')}`] : []),
  ];
}

/** The configuration facts: a pure function of the policy (and its file's bytes) and the settings. */
export function configFacts(
  policy: Policy,
  settings: Settings,
  policyFile: { path: string; text: string | Buffer },
): ConfigFacts {
  const view = settingsView(settings);
  const inUse = routesInUse(policy);
  const flows = flowFacts(policy, settings.DRAFTBRIDGE_CRM);
  const routes = llmRouteSystems(view, policy).filter((r) => inUse.has(r.route));
  return {
    policyFile: policyFile.path,
    policySha256: policySha256(policyFile.text),
    sandbox: settings.DRAFTBRIDGE_SANDBOX,
    crm: crmSystem(view, policy),
    mail: mailSystem(view, policy),
    llmRoutes: routes.map((r) => ({ ...r, usedFor: usedFor(r.route, flows, policy) })),
    hosting: hostingSystem(policy),
    flows,
    retention: Object.fromEntries(
      Object.entries(policy.retention).filter((e): e is [string, number] => e[1] !== undefined),
    ),
    sensitive: Object.fromEntries(
      Object.entries(policy.sensitive).filter(([, action]) => action !== undefined),
    ) as Record<string, string>,
    // The regions each route's provider may use, as the settings check enforces them.
    allowedRegions: [
      ...new Set(
        routes.flatMap((r) =>
          r.id in DEFAULT_EU_REGIONS
            ? allowedRegionsFor(policy, r.id as keyof typeof DEFAULT_EU_REGIONS)
            : [],
        ),
      ),
    ],
    mailRules: {
      reviewCategory: policy.mail.reviewCategory,
      templateCategory: policy.mail.templateCategory,
      allowedLinks: policy.mail.allowedLinks,
      reviewMaxAgeMs: policy.mail.reviewMaxAge,
      maxBodyChars: policy.mail.maxBodyChars,
    },
    privacy: {
      eraseOnContactDeletion: policy.privacy.eraseOnContactDeletion,
      retentionSweepEveryMs: policy.privacy.retentionSweepEvery,
    },
    security: {
      vaultKey: settings.DRAFTBRIDGE_VAULT_KEY ? 'set' : 'sandbox development key',
      previousVaultKeys: settings.DRAFTBRIDGE_VAULT_PREVIOUS_KEYS.length,
      auditKey: settings.DRAFTBRIDGE_AUDIT_KEY ? 'set' : 'sandbox development key',
      credentials: credentials(settings),
      publicUrlHttps: settings.publicUrl.startsWith('https://'),
      redisTls: /^rediss(\+cluster)?:\/\//.test(settings.REDIS_URL),
    },
    operator: { controller: party(policy.compliance?.controller), dpo: party(policy.compliance?.dpo) },
  };
}

/** Every external system the documents name: CRM, mailbox system, the LLM providers in use, hosting. */
export function systemsOf(config: ConfigFacts): ConfiguredSystem[] {
  const seen = new Set<string>();
  return [config.crm, config.mail, ...config.llmRoutes, config.hosting].filter(
    (s) => !seen.has(s.id) && seen.add(s.id),
  );
}

import { describeLlmRoutes } from '../llm-residency.ts';
import type { Policy } from '../policy.ts';
import type { Settings } from '../settings.ts';
import {
  crmSystem,
  llmRouteSystems,
  mailSystem,
  settingsView,
  type ConfiguredSystem,
} from '../compliance/systems.ts';

/**
 * The record of processing activities (Art. 30 GDPR) derived from the policy in force and the
 * configured systems (DRAFTBRIDGE_CRM, DRAFTBRIDGE_MAIL, the provider of each LLM route), so the
 * DPO's document cannot drift from what the service actually does. The full documents, in German
 * and English: `draftbridge compliance` (src/compliance/).
 */
export function recordOfProcessing(policy: Policy, settings: Settings) {
  const residency = describeLlmRoutes(settings, policy);
  const days = (ms: number | undefined) =>
    ms === undefined ? null : Math.round((ms / 86_400_000) * 100) / 100;
  const view = settingsView(settings);
  const crm = crmSystem(view, policy);
  const mail = mailSystem(view, policy);
  const routes = llmRouteSystems(view, policy);
  const name = (s: ConfiguredSystem) => (s.vendor ? `${s.product} (${s.vendor.name})` : s.product);
  const where = (s: ConfiguredSystem) => (s.region ? `region ${s.region.label}` : 'region not configured');
  return {
    controller: policy.compliance?.controller?.name ?? 'the organisation operating this draftbridge instance',
    activities: Object.entries(policy.flows).map(([flowName, flow]) => {
      const route = routes.find((r) => r.route === flow.llmRoute);
      const systems = [crm, mail, ...(route ? [route] : [])];
      const third = systems.filter((s) => s.region?.zone === 'third');
      const open = systems.filter((s) => !s.region || s.region.zone === 'unknown');
      return {
        activity: flowName,
        purpose: flow.purpose,
        legalBasis: flow.legalBasis,
        dataSubjects: 'contacts in the CRM (leads, customers)',
        personalDataCategories: flow.fields,
        triggers: policy.triggers
          .filter((t) => t.flow === flowName)
          .map((t) => (t.property ? `${t.event} ${t.property}=${t.value ?? '*'}` : t.event)),
        recipients: [
          `CRM: ${name(crm)}: source of the data, receives notes and status`,
          `mailbox system: ${name(mail)}: ${flow.delivery === 'review' ? 'the draft in the owner’s mailbox' : 'sends the mail'}`,
          route
            ? `LLM route ${route.route}: ${name(route)} (${where(route)}): pseudonymised text only`
            : `LLM route ${flow.llmRoute}: not configured`,
        ],
        llm: residency.find((r) => r.route === flow.llmRoute),
        delivery: flow.delivery,
        thirdCountryTransfers:
          third.length > 0
            ? `yes: ${third.map((s) => `${s.product} (${s.region!.label})`).join(', ')}`
            : open.length > 0
              ? `location not configured for ${open.map((s) => s.product).join(', ')} (policy compliance.vendors.<id>.location)`
              : 'none: every configured region is in the EU/EEA',
        retentionDays: days(policy.retention[flow.retention]),
      };
    }),
    llmRoutes: residency,
    specialCategories: policy.sensitive,
    retentionDays: Object.fromEntries(Object.entries(policy.retention).map(([k, v]) => [k, days(v)])),
    technicalMeasures: [
      'pseudonymisation before any LLM call; outbound leak guard fails closed',
      'AES-256-GCM encrypted vault for personal values, with TTL',
      'HMAC-chained audit trail without personal data',
      'data minimisation: only policy-listed CRM fields are read',
    ],
  };
}

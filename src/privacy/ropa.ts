import { describeLlmRoutes, providerName, type LlmSettings } from '../llm-residency.ts';
import type { Policy } from '../policy.ts';

/**
 * The record of processing activities (Art. 30 GDPR) derived from the policy in force, so the DPO's
 * document cannot drift from what the service actually does.
 */
export function recordOfProcessing(policy: Policy, settings: LlmSettings) {
  const routes = describeLlmRoutes(settings, policy);
  const days = (ms: number | undefined) => (ms === undefined ? null : Math.round((ms / 86_400_000) * 100) / 100);
  return {
    controller: 'the organisation operating this draftbridge instance',
    activities: Object.entries(policy.flows).map(([name, flow]) => ({
      activity: name,
      purpose: flow.purpose,
      legalBasis: flow.legalBasis,
      dataSubjects: 'contacts in the CRM (leads, customers)',
      personalDataCategories: flow.fields,
      triggers: policy.triggers.filter((t) => t.flow === name).map((t) => (t.property ? `${t.event} ${t.property}=${t.value ?? '*'}` : t.event)),
      recipients: [
        'CRM (HubSpot): source of the data, receives notes and status',
        'Microsoft 365 (Graph): the draft in the owner’s mailbox',
        ...routes.filter((r) => r.route === flow.llmRoute).map((r) => `${providerName(r.provider)} (${r.residency}): pseudonymised text only`),
      ],
      llm: routes.find((r) => r.route === flow.llmRoute),
      delivery: flow.delivery,
      thirdCountryTransfers: `none: the LLM processes in ${routes.find((r) => r.route === flow.llmRoute)?.residency ?? 'the EU'}`,
      retentionDays: days(policy.retention[flow.retention]),
    })),
    llmRoutes: routes,
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

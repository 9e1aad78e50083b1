import type { Policy } from '../policy.ts';

/**
 * The record of processing activities (Art. 30 GDPR) derived from the policy in force, so the DPO's
 * document cannot drift from what the service actually does.
 */
export function recordOfProcessing(policy: Policy, settings: { AZURE_OPENAI_REGION?: string | undefined; LOCAL_LLM_BASE_URL?: string | undefined }) {
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
        flow.llmRoute === 'eu'
          ? `Azure OpenAI (region ${settings.AZURE_OPENAI_REGION ?? 'unset'}): pseudonymised text only`
          : `local model (${settings.LOCAL_LLM_BASE_URL ?? 'unset'}): pseudonymised text only`,
      ],
      delivery: flow.delivery,
      thirdCountryTransfers: 'none: LLM regions limited to ' + policy.llm.allowedRegions.join(', '),
      retentionDays: days(policy.retention[flow.retention]),
    })),
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

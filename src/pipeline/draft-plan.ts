import { STRUCTURED_FIELDS } from '../crm-fields.ts';
import type { FlowPolicy, Language, Policy, SensitiveCategory } from '../policy.ts';
import type { LlmRouteName, MailRecipient, OutboundScanner } from '../ports.ts';
import type { SensitiveDecision } from '../privacy/dlp.ts';
import { classifySensitive, decideSensitive, redactSensitive } from '../privacy/dlp.ts';
import { createLeakGuard } from '../privacy/leak-guard.ts';
import { Pseudonymiser } from '../privacy/pseudonymise.ts';
import { greeting } from '../privacy/salutation.ts';
import { fenceUntrusted, UNTRUSTED_DATA_RULE } from '../privacy/untrusted.ts';
import { fill, pickLanguage, type PromptTemplate, type Wording } from './prompts.ts';
import type { VaultContact, VaultOwner } from './vault-sections.ts';

/**
 * The pure half of the draft stage: from the vault's contact and owner, the flow and the wording,
 * decide what happens (special categories first), which LLM route, the salutation and closing, and
 * the pseudonymised prompt with its leak guard. No I/O: the same inputs always give the same plan.
 */
export interface DraftPlanInput {
  contact: VaultContact;
  owner: VaultOwner;
  flow: FlowPolicy;
  policy: Pick<Policy, 'defaults' | 'sensitive'>;
  /** The flow's template in both languages (config/prompts/<template>.yaml). */
  template: PromptTemplate;
  wording: (language: Language) => Wording;
  /**
   * Appointment slots as the contact reads them ("Dienstag, 1. Dezember, 10:00–10:30 Uhr"), computed
   * in code; empty: none could be computed, so the mail asks the contact for times instead.
   */
  slots?: readonly string[];
}

/** Everything the LLM step needs; placeholders only, never a personal value (the mapping stays local). */
export interface LlmPrompt {
  system: string;
  user: string;
  /** Appended to `system` for the one retry after an unusable answer. */
  strictInstruction: string;
  /** Placeholder → real value, for restoring the answer locally. */
  /** The same user prompt with the free-text note left out: what is asked when the leak guard refuses the note. */
  userWithoutNote?: string | undefined;
  mapping: Record<string, string>;
  /** Placeholders the answer must contain (the greeting's and the closing's). */
  required: string[];
  /** Texts the answer must contain unchanged: the offered slots (not personal data, sent as they are). */
  verbatim: string[];
  guard: OutboundScanner;
}

export type DraftPlan =
  | { kind: 'blocked'; categories: SensitiveCategory[] }
  | {
      kind: 'compose';
      language: Language;
      route: LlmRouteName;
      sensitive: SensitiveDecision['action'];
      to: MailRecipient[];
      /** The plain template with the real greeting and closing: used when the LLM cannot help. */
      fallback: { subject: string; body: string };
      /** The real greeting and closing lines and the rep's name, for the final text pass and the notice. */
      letter: { greeting: string; closing: string; rep: string };
      prompt: LlmPrompt;
    };

export function planDraft(input: DraftPlanInput): DraftPlan {
  const { contact, owner, flow, policy } = input;
  const p = contact.properties;
  const language = pickLanguage(p.language, policy.defaults.language);
  const wording = input.wording(language);

  // Special categories decide first: a blocked request never reaches any LLM.
  const freeText = Object.entries(p)
    .flatMap(([k, v]) => (!STRUCTURED_FIELDS.has(k) && v ? [v] : []))
    .join('\n');
  const sensitive = classifySensitive(freeText, language);
  const decision = decideSensitive(sensitive.categories, policy);
  if (decision.action === 'block') return { kind: 'blocked', categories: decision.categories };
  const notes = decision.action === 'redact' ? redactSensitive(freeText, sensitive.spans) : freeText;
  const route: LlmRouteName = decision.action === 'local' ? 'local' : flow.llmRoute;

  const fullName = [p.firstname, p.lastname].filter(Boolean).join(' ');
  const ownerName = [owner.firstName, owner.lastName].filter(Boolean).join(' ') || owner.email.split('@')[0]!;
  const real = {
    greeting: greeting({
      lang: language,
      salutation: p.salutation ?? null,
      lastName: p.lastname ?? undefined,
      fullName: fullName || undefined,
    }),
    closing: fill(wording.closing, { owner: ownerName }),
  };
  const template = input.template[language];
  const slots = input.slots ?? [];
  const slotList = slots.map((s, i) => `${i + 1}. ${s}`).join('\n');
  const fallbackBody =
    slots.length > 0 && template.fallback.body_with_slots
      ? template.fallback.body_with_slots
      : template.fallback.body;
  return {
    kind: 'compose',
    language,
    route,
    sensitive: decision.action,
    to: [{ address: p.email ?? '', ...(fullName ? { name: fullName } : {}) }],
    fallback: { subject: template.fallback.subject, body: fill(fallbackBody, { ...real, slots: slotList }) },
    letter: { ...real, rep: ownerName },
    prompt: buildPrompt({
      properties: p,
      owner,
      language,
      notes,
      fullName,
      closing: real.closing,
      template,
      wording,
      slots,
      slotList,
    }),
  };
}

function buildPrompt(input: {
  properties: VaultContact['properties'];
  owner: VaultOwner;
  language: Language;
  notes: string;
  fullName: string;
  closing: string;
  template: PromptTemplate[Language];
  wording: Wording;
  slots: readonly string[];
  slotList: string;
}): LlmPrompt {
  const { properties: p, owner, language, template, wording, slots: offered, slotList } = input;
  const ps = new Pseudonymiser(
    { ...p, owner_firstname: owner.firstName, owner_lastname: owner.lastName, owner_email: owner.email },
    { lang: language },
  );
  const letter = {
    greeting: greeting({
      lang: language,
      salutation: p.salutation ?? null,
      lastName: p.lastname ? ps.pseudonymise(p.lastname) : undefined,
      fullName: input.fullName ? ps.pseudonymise(input.fullName) : undefined,
    }),
    closing: ps.pseudonymise(input.closing),
  };
  const slots = {
    greeting: letter.greeting,
    closing: letter.closing,
    company: p.company ? ps.pseudonymise(p.company) : '–',
    jobtitle: p.jobtitle ? ps.pseudonymise(p.jobtitle) : '–',
    phone: p.phone ? ps.pseudonymise(p.phone) : '–',
    notes: input.notes ? fenceUntrusted(wording.notes_label, ps.pseudonymise(input.notes)) : '',
    untrusted_rule: UNTRUSTED_DATA_RULE[language],
    // Dates and times are not personal data: they go as they are, outside the pseudonymiser.
    slot_rule: offered.length > 0 ? wording.slots.rule_offer : wording.slots.rule_none,
    slots: offered.length > 0 ? `${wording.slots.label}\n${slotList}` : '',
  };
  const mapping = ps.mapping();
  const strictSlots =
    offered.length > 0
      ? ` ${fill(wording.slots.strict, { slots: offered.map((s, i) => `${i + 1}. ${s}`).join(' / ') })}`
      : '';
  return {
    system: fill(template.system, slots),
    user: fill(template.user, slots),
    userWithoutNote: slots.notes ? fill(template.user, { ...slots, notes: '' }) : undefined,
    strictInstruction:
      fill(wording.strict_instruction, {
        placeholders: Object.keys(mapping).join(', '),
        greeting: letter.greeting,
        closing: letter.closing.replace(/\n/g, ' / '),
      }) + strictSlots,
    mapping,
    required: [
      ...new Set(
        [...`${letter.greeting}\n${letter.closing}`.matchAll(/\[\[[A-Z]+_\d+\]\]/g)].map((m) => m[0]),
      ),
    ],
    verbatim: [...offered],
    // The mapping holds every identifying value of the job (CRM values and recogniser hits).
    guard: createLeakGuard(Object.values(mapping), {
      template: [template.system, template.user, UNTRUSTED_DATA_RULE[language], slotList],
    }),
  };
}

import { RequestNotFound } from '../../errors.ts';
import { noticeFor } from '../../policy.ts';
import type { PipelineDeps } from '../deps.ts';
import { planDraft, type DraftPlan } from '../draft-plan.ts';
import { draftWithLlm, type LlmDraftResult } from '../llm-draft.ts';
import { recordDraftPath } from './leak-fallback.ts';
import { finishMail, finishSubject } from '../mail-text.ts';
import { fill, pickLanguage } from '../prompts.ts';
import { offerSlots, type OfferedSlots } from '../slot-offer.ts';
import { settle } from '../settled.ts';
import { VaultContact, VaultOwner, type VaultDraft, type VaultSlots } from '../vault-sections.ts';
import { StageJob } from '../jobs.ts';
import type { StageDefinition } from '../stage-runner.ts';
import type { FlowPolicy, Policy } from '../../policy.ts';

/**
 * Stage 2 (draft): plan (special categories, route, salutation, pseudonymised prompt), ask the LLM
 * (or fall back to the plain template when it cannot help), finish the text (mail-text.ts) with the
 * AI-transparency notice of the flow's delivery mode, keep
 * the draft in the vault and move the request on. The decisions live in draft-plan.ts and
 * llm-draft.ts; this function only reads, acts on their verdicts and records.
 */
export type DraftResult = 'next' | 'done' | 'crm-note';

export type ComposeDraftDeps = Pick<
  PipelineDeps,
  'policy' | 'logger' | 'llm' | 'vault' | 'requests' | 'prompts' | 'circuit' | 'calendar' | 'now'
> &
  Partial<Pick<PipelineDeps, 'audit'>>;

export async function composeDraft(
  deps: ComposeDraftDeps,
  requestId: string,
  lastAttempt: boolean,
): Promise<DraftResult> {
  const { policy, vault, requests, prompts } = deps;
  // The record and the vault in one round trip (the store connection pipelines what goes out in
  // the same tick); the vault's answer counts only once the record says the stage is due.
  const [record, sections] = await Promise.all([
    requests.get(requestId),
    settle(vault.getMany(requestId, { contact: VaultContact, owner: VaultOwner })),
  ]);
  if (!record) throw new RequestNotFound(requestId);
  if (record.state === 'drafted') return 'next';
  if (record.state !== 'fetched') return 'done';

  const flow = policy.flows[record.flow]!;
  const { contact, owner } = sections.unwrap();
  if (!contact || !owner) {
    await requests.transition(requestId, 'failed', {
      actor: 'draft',
      details: { reason: 'vault_expired' },
      facts: { reason: 'vault_expired' },
      seen: record,
    });
    return 'crm-note';
  }

  const offer = await slotsFor(deps, requestId, contact, owner);
  const plan = planDraft({
    contact,
    owner,
    flow,
    policy,
    template: prompts.get(flow.template),
    wording: (language) => prompts.wording(language),
    slots: offer.texts,
  });
  if (plan.kind === 'blocked') {
    const categories = plan.categories.join(',');
    await requests.transition(requestId, 'blocked_sensitive', {
      actor: 'draft',
      details: { categories },
      facts: { reason: 'special_category', categories },
      seen: record,
    });
    return 'crm-note';
  }
  const { route, language } = plan;
  const llm = await draftWithLlm(deps, plan.prompt, {
    requestId,
    route,
    language,
    allowedLinks: policy.mail.allowedLinks,
    lastAttempt,
  });

  const { draft, templateReason, finished } = finishDraft(policy, flow, plan, llm);
  // The draft goes into the vault with the state that says it is there (one script).
  const written = vault.sealMany(requestId, {
    slots: offer satisfies VaultSlots,
    draft: {
      to: plan.to,
      subject: finishSubject(draft.subject),
      body: finished.body,
      language,
      template: templateReason !== undefined,
    } satisfies VaultDraft,
  });
  await requests.transition(requestId, 'drafted', {
    actor: 'draft',
    details: draftedDetails(plan, offer, templateReason),
    facts: draftedFacts(deps, plan, llm, offer, templateReason),
    seen: record,
    sections: written,
  });
  recordDraftPath(llm.path);
  return 'next';
}

/** Slots from the owner's calendar and the contact's wishes, read from the raw note here, locally. */
function slotsFor(deps: ComposeDraftDeps, requestId: string, contact: VaultContact, owner: VaultOwner) {
  const { policy, prompts } = deps;
  const p = contact.properties;
  return offerSlots(
    { ...deps, holdSubject: (language) => prompts.wording(language).slots.hold_subject },
    {
      mailbox: owner.email,
      note: [p.callback_note, p.message].filter(Boolean).join('\n'),
      language: pickLanguage(p.language, policy.defaults.language),
      contactTimeZone: p.timezone,
      requestId,
    },
  );
}

type ComposePlan = Extract<DraftPlan, { kind: 'compose' }>;

/**
 * The finished text: the LLM's draft with the AI notice, or the plain template (no AI notice) when
 * the LLM could not help or its text had to be cut.
 */
function finishDraft(policy: Policy, flow: FlowPolicy, plan: ComposePlan, llm: LlmDraftResult) {
  // The AI notice per delivery mode, the rep's name filled in here, locally, never sent to the LLM.
  // The plain template involves no AI, so it carries no AI notice (it would not be true).
  const aiNotice = fill(noticeFor(policy, flow, plan.language), { rep: plan.letter.rep });
  const finish = (text: string, ai: boolean) =>
    finishMail({
      body: text,
      greeting: plan.letter.greeting,
      closing: plan.letter.closing,
      notice: ai ? aiNotice : '',
      maxChars: policy.mail.maxBodyChars,
    });
  // The rep still gets something to review, clearly marked as the plain template.
  let draft = llm.kind === 'drafted' ? llm : plan.fallback;
  let templateReason = llm.kind === 'template' ? llm.reason : undefined;
  let finished = finish(draft.body, llm.kind === 'drafted');
  if (llm.kind === 'drafted' && finished.shortened) {
    // A cut LLM text may end mid-thought; the plain template reads right at any length.
    draft = plan.fallback;
    templateReason = 'llm_too_long';
    finished = finish(draft.body, false);
  }
  return { draft, templateReason, finished };
}

/** The audit event's details for the drafted state (ids, codes and counts only). */
function draftedDetails(plan: ComposePlan, offer: OfferedSlots, templateReason: string | undefined) {
  return {
    route: plan.route,
    language: plan.language,
    template: templateReason ?? null,
    sensitive: plan.sensitive,
    slots: offer.slots.length,
    slotSource: offer.source,
  };
}

/** The facts recorded with the drafted state: route, path, fallback reason and the offered slots. */
function draftedFacts(
  deps: Partial<Pick<PipelineDeps, 'audit'>>,
  plan: ComposePlan,
  llm: LlmDraftResult,
  offer: OfferedSlots,
  templateReason: string | undefined,
) {
  return {
    route: plan.route,
    language: plan.language,
    draftPath: llm.path,
    ...(templateReason ? { templateFallback: templateReason } : {}),
    ...(offer.slots.length
      ? {
          slots: offer.slots.map((s) => `${s.start}/${s.end}`).join(' '),
          slotZone: offer.timeZone,
          ...bookingFacts(deps, plan.to, offer),
        }
      : {}),
    ...(offer.unmet ? { slotsUnmet: offer.unmet } : {}),
  };
}

/**
 * What the booking needs later, without personal data: the recipient as a keyed hash (only their
 * reply books) and the note's wishes as codes (a counter-proposal is checked against them).
 */
function bookingFacts(
  deps: Partial<Pick<PipelineDeps, 'audit'>>,
  to: readonly { address: string }[],
  offer: { wishes?: unknown },
) {
  const address = to[0]?.address;
  return {
    ...(address && deps.audit ? { recipientRef: deps.audit.addressRef(address) } : {}),
    ...(offer.wishes ? { slotWishes: JSON.stringify(offer.wishes) } : {}),
  };
}

/** draft: pseudonymise, classify, prompt the LLM, re-identify locally (or fall back to the template). */
export function draftStage(policy: Policy): StageDefinition<'draft'> {
  return {
    queue: 'draft',
    // Many drafts wait on the model at once; the LLM connector books each call in the shared quota.
    concurrency: policy.limits.llm.draftConcurrency,
    run: (deps, job, lastAttempt) => composeDraft(deps, StageJob.parse(job.data).requestId, lastAttempt),
  };
}

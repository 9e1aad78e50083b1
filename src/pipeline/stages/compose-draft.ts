import { DraftbridgeError, LeakBlocked, RequestNotFound, UpstreamRateLimited, UpstreamRejected } from '../../errors.ts';
import { STRUCTURED_FIELDS } from '../../crm-fields.ts';
import type { Language } from '../../policy.ts';
import type { LlmDraftOutcome, LlmRouteName } from '../../ports.ts';
import { classifySensitive, decideSensitive, redactSensitive } from '../../privacy/dlp.ts';
import { createLeakGuard } from '../../privacy/leak-guard.ts';
import { Pseudonymiser } from '../../privacy/pseudonymise.ts';
import { restoreDraft } from '../../privacy/reidentify.ts';
import { greeting } from '../../privacy/salutation.ts';
import { fenceUntrusted, UNTRUSTED_DATA_RULE } from '../../privacy/untrusted.ts';
import type { PipelineDeps } from '../deps.ts';
import { VaultContact, VaultOwner, type VaultDraft } from '../vault-sections.ts';
import { fill, pickLanguage } from '../prompts.ts';

/**
 * Stage 2 (draft): pseudonymise and classify, pick the LLM route, build the prompt, call the LLM
 * with structured output, validate and re-identify locally, append the AI-transparency notice.
 * When the LLM cannot help (down, circuit open, filtered, unusable twice) the plain template drafts.
 */


export type DraftResult = 'next' | 'done' | 'crm-note';

export type ComposeDraftDeps = Pick<PipelineDeps, 'policy' | 'logger' | 'llm' | 'vault' | 'requests' | 'prompts' | 'circuit'>;

export async function composeDraft(deps: ComposeDraftDeps, requestId: string, lastAttempt: boolean): Promise<DraftResult> {
  const { policy, vault, requests } = deps;
  const record = await requests.get(requestId);
  if (!record) throw new RequestNotFound(requestId);
  if (record.state === 'drafted') return 'next';
  if (record.state !== 'fetched') return 'done';

  const flow = policy.flows[record.flow]!;
  const contact = await vault.get(requestId, 'contact', VaultContact);
  const owner = await vault.get(requestId, 'owner', VaultOwner);
  if (!contact || !owner) {
    await requests.transition(requestId, 'failed', { actor: 'draft', details: { reason: 'vault_expired' } }, { reason: 'vault_expired' });
    return 'crm-note';
  }
  const p = contact.properties;
  const language = pickLanguage(p.language, policy.defaults.language);

  // Special categories decide first: a blocked request never reaches any LLM.
  const freeText = Object.entries(p)
    .filter(([k, v]) => !STRUCTURED_FIELDS.has(k) && v)
    .map(([, v]) => v as string)
    .join('\n');
  const sensitive = classifySensitive(freeText, language);
  const decision = decideSensitive(sensitive.categories, policy);
  if (decision.action === 'block') {
    await requests.transition(
      requestId,
      'blocked_sensitive',
      { actor: 'draft', details: { categories: decision.categories.join(',') } },
      { reason: 'special_category', categories: decision.categories.join(',') },
    );
    return 'crm-note';
  }
  const notes = decision.action === 'redact' ? redactSensitive(freeText, sensitive.spans) : freeText;
  const route: LlmRouteName = decision.action === 'local' ? 'local' : flow.llmRoute;

  const fullName = [p.firstname, p.lastname].filter(Boolean).join(' ');
  const ownerName = [owner.firstName, owner.lastName].filter(Boolean).join(' ') || owner.email.split('@')[0]!;
  const letter = { greeting: '', closing: '' };
  const realLetter = {
    greeting: greeting({ lang: language, salutation: p.salutation ?? null, lastName: p.lastname ?? undefined, fullName: fullName || undefined }),
    closing: closingLines(language, ownerName),
  };
  const to = [{ address: p.email!, ...(fullName ? { name: fullName } : {}) }];

  let draft: { subject: string; body: string } | undefined;
  let templateReason: string | undefined;

  if (await deps.circuit.isOpen(route)) {
    templateReason = 'llm_circuit_open';
  } else {
    const known: Record<string, string | null> = {
      ...p,
      owner_firstname: owner.firstName,
      owner_lastname: owner.lastName,
      owner_email: owner.email,
    };
    const ps = new Pseudonymiser(known, { lang: language });
    letter.greeting = greeting({
      lang: language,
      salutation: p.salutation ?? null,
      lastName: p.lastname ? ps.pseudonymise(p.lastname) : undefined,
      fullName: fullName ? ps.pseudonymise(fullName) : undefined,
    });
    letter.closing = ps.pseudonymise(realLetter.closing);
    const template = deps.prompts.get(flow.template)[language];
    const slots = {
      greeting: letter.greeting,
      closing: letter.closing,
      company: p.company ? ps.pseudonymise(p.company) : '–',
      jobtitle: p.jobtitle ? ps.pseudonymise(p.jobtitle) : '–',
      phone: p.phone ? ps.pseudonymise(p.phone) : '–',
      notes: notes ? fenceUntrusted(language === 'de' ? 'CRM-Notiz' : 'CRM note', ps.pseudonymise(notes)) : '',
      untrusted_rule: UNTRUSTED_DATA_RULE[language],
    };
    const system = fill(template.system, slots);
    const user = fill(template.user, slots);
    const mapping = ps.mapping();
    // The mapping holds every identifying value of the job (CRM values and recogniser hits).
    const guard = createLeakGuard(Object.values(mapping), { templateText: `${template.system}\n${template.user}\n${UNTRUSTED_DATA_RULE[language]}` });
    const required = [...new Set([...`${letter.greeting}\n${letter.closing}`.matchAll(/\[\[[A-Z]+_\d+\]\]/g)].map((m) => m[0]))];

    const attempt = async (strict: boolean): Promise<{ ok: true; subject: string; body: string } | { ok: false; reason: string }> => {
      const stricter = strict ? `\n${strictInstruction(language, Object.keys(mapping), letter)}` : '';
      const outcome: LlmDraftOutcome = await deps.llm.draft({ route, system: system + stricter, user, language, requestId, guard });
      if (outcome.kind !== 'drafted') return { ok: false, reason: outcome.kind };
      const restored = restoreDraft({ subject: outcome.draft.subject, body: outcome.draft.body, mapping, required, allowedLinks: policy.mail.allowedLinks });
      if (!restored.ok) return { ok: false, reason: restored.reason };
      return { ok: true, subject: restored.subject, body: restored.body };
    };

    try {
      let result = await attempt(false);
      if (!result.ok && result.reason !== 'content_filtered') {
        deps.logger.info({ requestId, reason: result.reason }, 'LLM draft unusable; retrying once with a stricter instruction');
        result = await attempt(true);
      }
      await deps.circuit.recordSuccess(route);
      if (result.ok) draft = { subject: result.subject, body: result.body };
      else templateReason = `llm_${result.reason}`;
    } catch (err) {
      if (err instanceof LeakBlocked) {
        await requests.transition(requestId, 'failed', { actor: 'draft', details: { reason: 'leak_guard', types: [...new Set(err.findings)].join(',') } }, { reason: 'leak_guard' });
        return 'crm-note';
      }
      if (err instanceof UpstreamRateLimited) throw err; // the worker pauses the queue
      if (err instanceof UpstreamRejected) {
        templateReason = `llm_rejected_${err.status}`;
      } else if (err instanceof DraftbridgeError && err.retryable) {
        // An LLM outage (5xx, timeout, connection): counts against the circuit, retried with backoff.
        await deps.circuit.recordFailure(route);
        if (!lastAttempt) throw err;
        templateReason = 'llm_unavailable';
      } else {
        throw err; // not an outage (a bug, a broken record): the stage runner decides from its code
      }
    }
  }

  if (!draft) {
    // The rep still gets something to review, clearly marked as the plain template.
    const t = deps.prompts.get(flow.template)[language].fallback;
    draft = { subject: t.subject, body: fill(t.body, realLetter) };
  }
  const body = `${draft.body.trim()}\n\n-- \n${policy.mail.transparencyNotice[language] ?? ''}`.trim();
  await vault.put(requestId, 'draft', { to, subject: draft.subject, body, language, template: templateReason !== undefined } satisfies VaultDraft);
  await requests.transition(
    requestId,
    'drafted',
    { actor: 'draft', details: { route, language, template: templateReason ?? null, sensitive: decision.action } },
    { route, language, ...(templateReason ? { templateFallback: templateReason } : {}) },
  );
  return 'next';
}

function closingLines(language: Language, ownerName: string): string {
  return language === 'de' ? `Mit freundlichen Grüßen\n${ownerName}` : `Kind regards\n${ownerName}`;
}

function strictInstruction(language: Language, placeholders: string[], letter: { greeting: string; closing: string }): string {
  const list = placeholders.join(', ');
  return language === 'de'
    ? `WICHTIG: Verwende ausschließlich diese Platzhalter, exakt so geschrieben: ${list}. Beginne mit "${letter.greeting}" und ende mit "${letter.closing.replace(/\n/g, ' / ')}". Keine Links, keine E-Mail-Adressen.`
    : `IMPORTANT: Use only these placeholders, written exactly like this: ${list}. Start with "${letter.greeting}" and end with "${letter.closing.replace(/\n/g, ' / ')}". No links, no e-mail addresses.`;
}


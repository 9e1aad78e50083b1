import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Language } from '../policy.ts';

/**
 * Prompt templates (config/prompts/<template>.yaml): per language a system prompt, a user prompt and
 * the plain fallback mail used when the LLM is unavailable or its answer cannot be used. Wording all
 * flows share lives in config/prompts/_shared.yaml.
 */
const LanguageTemplate = z.object({
  system: z.string().min(1),
  user: z.string().min(1),
  /** `body_with_slots` replaces `body` when appointment slots were computed ({{slots}}: the list). */
  fallback: z.object({
    subject: z.string().min(1),
    body: z.string().min(1),
    body_with_slots: z.string().min(1).optional(),
  }),
});
export const PromptTemplate = z.object({ de: LanguageTemplate, en: LanguageTemplate });
export type PromptTemplate = z.infer<typeof PromptTemplate>;

/** Wording every flow shares (config/prompts/_shared.yaml), per language. */
const LanguageWording = z.object({
  closing: z.string().min(1),
  notes_label: z.string().min(1),
  strict_instruction: z.string().min(1),
  slots: z.object({
    rule_offer: z.string().min(1),
    rule_none: z.string().min(1),
    label: z.string().min(1),
    strict: z.string().min(1),
    event_subject: z.string().min(1),
    event_body: z.string().min(1),
    hold_subject: z.string().min(1),
  }),
  crm_notes: z.object({
    ref: z.string().min(1),
    awaiting_review: z.string().min(1),
    template_marker: z.string(),
    leak_guard_template_marker: z.string(),
    without_note_marker: z.string(),
    sent: z.string().min(1),
    rejected: z.string().min(1),
    blocked_sensitive: z.string().min(1),
    categories_unknown: z.string().min(1),
    failed: z.string().min(1),
    reasons: z.record(z.string(), z.string().min(1)),
    reason_unknown: z.string().min(1),
    other: z.string().min(1),
    reply: z.string().min(1),
    /** What is left for the rep after a reply, by booking outcome (call_me, other_sender, …). */
    reply_outcomes: z.record(z.string(), z.string().min(1)).optional(),
    /** Why no slot was offered, by code (src/scheduling/unmet.ts). */
    unmet_wishes: z.record(z.string(), z.string().min(1)).optional(),
    booked: z.string().min(1),
  }),
});
export const SharedWording = z.object({ de: LanguageWording, en: LanguageWording });
export type SharedWording = z.infer<typeof SharedWording>;
export type Wording = z.infer<typeof LanguageWording>;

export class PromptLibrary {
  private readonly dir: string;
  private readonly cache = new Map<string, PromptTemplate>();
  private shared: SharedWording | undefined;
  constructor(dir: string) {
    this.dir = dir;
  }

  /** The shared wording in `language` (closing lines, stricter instruction, CRM note texts). */
  wording(language: Language): Wording {
    this.shared ??= SharedWording.parse(parse(readFileSync(join(this.dir, '_shared.yaml'), 'utf8')));
    return this.shared[language];
  }

  get(template: string): PromptTemplate {
    let t = this.cache.get(template);
    if (!t) {
      const file = join(this.dir, `${template}.yaml`);
      t = PromptTemplate.parse(parse(readFileSync(file, 'utf8')));
      this.cache.set(template, t);
    }
    return t;
  }
}

/** Fills `{{slot}}` markers; unknown slots become empty so a template typo cannot leak a marker. */
export function fill(text: string, slots: Record<string, string>): string {
  return text
    .replace(/\{\{(\w+)\}\}/g, (_, name: string) => slots[name] ?? '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** `de`, `de-DE`, `de_at`, `German` → de; anything unknown → the policy default. */
export function pickLanguage(value: string | null | undefined, fallback: Language): Language {
  const v = (value ?? '').trim().toLowerCase();
  if (/^(de|ger|deu|german|deutsch)\b|^de[-_]/.test(v)) return 'de';
  if (/^(en|eng|english|englisch)\b|^en[-_]/.test(v)) return 'en';
  return fallback;
}

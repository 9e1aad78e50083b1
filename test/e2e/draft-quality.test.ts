import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysFor } from '../../src/keys.ts';
import { draftEditRatio } from '../../src/metrics.ts';
import type { DeliveryMode } from '../../src/policy.ts';
import { keptVaultId } from '../../src/privacy/vault.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/**
 * What the contact reads, through the real pipeline (HubSpot and Graph simulators, the LLM
 * simulator, real Redis): many invented contacts, both flows, both delivery modes. Each mail must
 * greet and close once, join its punctuation around restored values, keep no placeholder and carry
 * the notice that tells the truth about how it was made.
 */
interface Case {
  id: string;
  label: string;
  flow: 'callback' | 'new_lead';
  owner: '9001' | '9002';
  properties: Record<string, string>;
  greeting: string;
}

const OWNERS = { '9001': 'Max Vertrieb', '9002': 'Sophie Lindqvist' } as const;

const CASES: Case[] = [
  {
    id: '2101',
    label: 'de, Frau, GmbH',
    flow: 'callback',
    owner: '9001',
    greeting: 'Sehr geehrte Frau Beispielfrau,',
    properties: {
      firstname: 'Petra',
      lastname: 'Beispielfrau',
      salutation: 'Frau',
      hs_language: 'de',
      company: 'Beispiel Maschinenbau GmbH',
      phone: '+49 30 5550101',
      callback_notes: 'Bitte Rückruf zum Angebot.',
    },
  },
  {
    id: '2102',
    label: 'de, Herr Dr., company ending in a dot',
    flow: 'callback',
    owner: '9001',
    greeting: 'Sehr geehrter Herr Dr. Mustermann,',
    properties: {
      firstname: 'Klaus',
      lastname: 'Mustermann',
      salutation: 'Herr Dr.',
      hs_language: 'de',
      company: 'Muster Handels GmbH & Co. KG.',
      callback_notes: 'Rückruf bitte nachmittags.',
    },
  },
  {
    id: '2103',
    label: 'de, no salutation, e.V.',
    flow: 'callback',
    owner: '9001',
    greeting: 'Guten Tag Kim Beispiel,',
    properties: {
      firstname: 'Kim',
      lastname: 'Beispiel',
      hs_language: 'de',
      company: 'Beispielverein Musterstadt e.V.',
    },
  },
  {
    id: '2104',
    label: 'de, Frau Prof. Dr., long names',
    flow: 'new_lead',
    owner: '9001',
    greeting: 'Sehr geehrte Frau Prof. Dr. von Musterhausen-Beispielstein,',
    properties: {
      firstname: 'Annemarie-Luise',
      lastname: 'von Musterhausen-Beispielstein',
      salutation: 'Frau Prof. Dr.',
      hs_language: 'de',
      company: 'Beispielstein Industrieanlagen- und Maschinenbaugesellschaft mbH',
      jobtitle: 'Geschäftsführerin',
      message: 'Wir interessieren uns für Ihre Wartungsverträge.',
    },
  },
  {
    id: '2105',
    label: 'de, Herr, no company',
    flow: 'new_lead',
    owner: '9001',
    greeting: 'Sehr geehrter Herr Testmann,',
    properties: {
      firstname: 'Jan',
      lastname: 'Testmann',
      salutation: 'Herr',
      hs_language: 'de',
      message: 'Bitte um Informationen.',
    },
  },
  {
    id: '2106',
    label: 'en, Mr, Ltd.',
    flow: 'callback',
    owner: '9002',
    greeting: 'Dear Mr Sample,',
    properties: {
      firstname: 'Oliver',
      lastname: 'Sample',
      salutation: 'Mr',
      hs_language: 'en',
      company: 'Example Logistics Ltd.',
      callback_notes: 'Call about fleet tracking.',
    },
  },
  {
    id: '2107',
    label: 'en, Ms Dr., Inc.',
    flow: 'new_lead',
    owner: '9002',
    greeting: 'Dear Dr. Specimen,',
    properties: {
      firstname: 'Grace',
      lastname: 'Specimen',
      salutation: 'Ms Dr.',
      hs_language: 'en',
      company: 'Example Holdings Inc.',
      message: 'Interested in a demo.',
    },
  },
  {
    id: '2108',
    label: 'en, no salutation, no company',
    flow: 'callback',
    owner: '9002',
    greeting: 'Dear Robin Sampleton-Vale,',
    properties: { firstname: 'Robin', lastname: 'Sampleton-Vale', hs_language: 'en' },
  },
  {
    id: '2109',
    label: 'en, Mrs, Co.',
    flow: 'callback',
    owner: '9002',
    greeting: 'Dear Ms Example,',
    properties: {
      firstname: 'Helen',
      lastname: 'Example',
      salutation: 'Mrs',
      hs_language: 'en',
      company: 'Example & Sons Co.',
    },
  },
  {
    id: '2110',
    label: 'en, long names, plc',
    flow: 'new_lead',
    owner: '9002',
    greeting: 'Dear Ms Montgomery-Fairweather,',
    properties: {
      firstname: 'Alexandra Catherine',
      lastname: 'Montgomery-Fairweather',
      salutation: 'Ms',
      hs_language: 'en',
      company: 'Fairweather Example Consolidated Industries plc',
      message: 'Please send details.',
    },
  },
  {
    id: '2111',
    label: 'de by default language, Frau Dr., AG',
    flow: 'callback',
    owner: '9001',
    greeting: 'Sehr geehrte Frau Dr. Probe,',
    properties: {
      firstname: 'Sabine',
      lastname: 'Probe',
      salutation: 'Frau Dr.',
      company: 'Probe Logistik AG',
    },
  },
];

const NOTICES: Record<DeliveryMode, Record<'de' | 'en', (rep: string) => string>> = {
  review: {
    de: (rep) => `Diese E-Mail wurde mit Unterstützung eines KI-Systems verfasst und von ${rep} geprüft.`,
    en: (rep) => `This e-mail was drafted with the help of an AI system and reviewed by ${rep}.`,
  },
  auto: {
    de: () => 'Diese E-Mail wurde automatisch mit Unterstützung eines KI-Systems erstellt.',
    en: () => 'This e-mail was created automatically with the help of an AI system.',
  },
};

const count = (text: string, part: string) => text.split(part).length - 1;

function seed(h: PipelineHarness, c: Case, n: number): string {
  const id = `${c.id}${n}`;
  h.sandbox.hubspot.seedContact({
    id,
    properties: {
      ...c.properties,
      email: `${c.properties.firstname!.toLowerCase().replace(/\W+/g, '.')}.${n}@example.com`,
      hubspot_owner_id: c.owner,
    },
  });
  return id;
}

async function render(h: PipelineHarness, mode: DeliveryMode, n: number) {
  return Promise.all(
    CASES.map(async (c) => {
      const contactId = seed(h, c, n);
      const { requestId } = await h.deliverWebhook(contactId, {
        subscriptionType: c.flow === 'new_lead' ? 'contact.creation' : 'contact.propertyChange',
      });
      const record = await h.waitForState(
        requestId,
        [mode === 'auto' ? 'sent' : 'awaiting_review', 'failed', 'blocked_sensitive'],
        30_000,
      );
      expect({ label: c.label, state: record.state, reason: record.reason }).toEqual({
        label: c.label,
        state: mode === 'auto' ? 'sent' : 'awaiting_review',
        reason: undefined,
      });
      const mails = h.draftsFor(requestId);
      expect(mails, c.label).toHaveLength(1);
      return { c, requestId, record, mail: mails[0]! };
    }),
  );
}

function assertMail(
  c: Case,
  mode: DeliveryMode,
  mail: { subject: string; body: string; isDraft: boolean },
  maxChars: number,
) {
  const language = c.properties.hs_language === 'en' ? 'en' : 'de';
  const rep = OWNERS[c.owner];
  const closing = `${language === 'de' ? 'Mit freundlichen Grüßen' : 'Kind regards'}\n${rep}`;
  const [above, notice, ...rest] = mail.body.split('\n-- \n');
  const text = above!.trimEnd();
  expect(above, 'one blank line before the delimiter').toBe(`${text}\n`);
  const why = `${c.label} (${mode}): ${JSON.stringify(mail.body)}`;
  expect(mail.isDraft, why).toBe(mode === 'review');
  expect(rest, why).toEqual([]);
  expect(notice, why).toBe(NOTICES[mode][language](rep));
  if (mode === 'auto') expect(notice, why).not.toMatch(/geprüft|reviewed/);
  // Greeting first and once; DIN 5008: after "…," the text starts in lower case (German only).
  const lines = text.split('\n');
  expect(lines[0], why).toBe(c.greeting);
  expect(count(mail.body, c.greeting), why).toBe(1);
  const firstText = lines.slice(1).find((l) => l.trim() !== '')!;
  expect(firstText[0], why).toBe(
    language === 'de' ? firstText[0]!.toLowerCase() : firstText[0]!.toUpperCase(),
  );
  // Closing last and once.
  expect(text.endsWith(`\n\n${closing}`), why).toBe(true);
  expect(count(mail.body, closing.split('\n')[0]!), why).toBe(1);
  // Nothing left to fill, typography joined, no stilted phrase, no "draft" told to a recipient.
  expect(mail.body, why).not.toMatch(/\[\[|\]\]|\{\{|\}\}|\[[A-Z]+_\d+\]/);
  // (The delimiter "-- " keeps its trailing space; everything else is joined.)
  for (const part of [mail.subject, text, notice!]) {
    expect(part, why).not.toMatch(/\[\[|\]\]|\{\{|\}\}|\[[A-Z]+_\d+\]/);
    expect(part, why).not.toMatch(/(?<!\.)\.\.(?!\.)|[ \t][,.;:!?]|[ \t]{2}|[ \t]$/m);
  }
  expect(mail.body, why).not.toMatch(/aus dem Hause|Dieser Entwurf|This draft/);
  expect(mail.body, why).toContain(c.properties.lastname!);
  if (
    c.properties.company &&
    /Ltd\.|Inc\.|KG\.|e\.V\./.test(c.properties.company) &&
    mail.body.includes(c.properties.company)
  ) {
    expect(mail.body, why).not.toContain(`${c.properties.company}.`);
  }
  expect(mail.body.length, why).toBeLessThanOrEqual(maxChars);
}

describe('draft quality, reviewed delivery', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness();
  }, 60_000);
  afterAll(() => h.close());

  let rendered: Awaited<ReturnType<typeof render>>;
  it('renders every contact into a mail that reads right and names the reviewing rep', async () => {
    rendered = await render(h, 'review', 1);
    for (const { c, record, mail } of rendered) {
      expect(record.templateFallback, c.label).toBeUndefined(); // the LLM's text, not the template
      assertMail(c, 'review', mail, h.ctx.policy.mail.maxBodyChars);
    }
    // The rep's name reached the notice locally; the LLM never saw it.
    const prompts = h.sandbox.llm.requests.map((r) => JSON.stringify(r.body)).join('\n');
    for (const rep of Object.values(OWNERS)) expect(prompts).not.toContain(rep);
  }, 90_000);

  it('measures how much the rep edited before sending, keeps the draft text only until then', async () => {
    const redis = h.ctx.redis;
    const keys = keysFor(h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX);
    const [asIs, edited, discarded] = rendered.filter((r) => r.c.flow === 'callback' && r.c.owner === '9001');
    for (const r of [asIs!, edited!, discarded!]) {
      // Kept under the request's retention (30 days), not the vault's day.
      expect(await redis.pttl(keys.vault(keptVaultId(r.requestId)))).toBeGreaterThan(86_400_000);
    }
    const before = (await draftEditRatio.get()).values.filter(
      (v) => v.labels.flow === 'callback' && v.labels.language === 'de',
    );
    const countOf = (vs: typeof before) =>
      vs.find((v) => v.metricName === 'draftbridge_draft_edit_ratio_count')?.value ?? 0;
    const sumOf = (vs: typeof before) =>
      vs.find((v) => v.metricName === 'draftbridge_draft_edit_ratio_sum')?.value ?? 0;

    const box = h.sandbox.graph.mailbox('max.vertrieb@example.com');
    const message = (requestId: string) =>
      box.messages.find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId))!;
    // The rep rewrites the middle paragraph of one draft in Outlook and sends both.
    const m = message(edited!.requestId);
    const paragraphs = m.body.content.split('\n\n');
    paragraphs[1] = 'danke für Ihren Anruf. Ich melde mich morgen Vormittag telefonisch bei Ihnen.';
    m.body.content = paragraphs.join('\n\n');
    await h.sandbox.graph.sendDraftAsUser(box.upn, message(asIs!.requestId).immutableId);
    await h.sandbox.graph.sendDraftAsUser(box.upn, m.immutableId);
    await h.sandbox.graph.deleteAsUser(box.upn, message(discarded!.requestId).immutableId);
    await h.waitForState(asIs!.requestId, ['sent']);
    await h.waitForState(edited!.requestId, ['sent']);
    await h.waitForState(discarded!.requestId, ['rejected']);
    for (let i = 0; i < 100 && (await redis.exists(keys.vault(keptVaultId(discarded!.requestId)))); i++)
      await new Promise((r) => setTimeout(r, 50));

    const after = (await draftEditRatio.get()).values.filter(
      (v) => v.labels.flow === 'callback' && v.labels.language === 'de',
    );
    expect(countOf(after) - countOf(before)).toBe(2);
    const ratios = await Promise.all(
      [asIs!, edited!].map(
        async (r) =>
          (await h.ctx.audit.read({ requestId: r.requestId })).find((e) => e.type === 'request.sent')!.details
            .editRatio,
      ),
    );
    expect(ratios[0]).toBe(0);
    expect(ratios[1]).toBeGreaterThan(0.2);
    expect(ratios[1]).toBeLessThan(0.9);
    expect(sumOf(after) - sumOf(before)).toBeCloseTo(Number(ratios[1]), 2);
    // Erased once measured or discarded; the text never reaches logs or audit.
    for (const r of [asIs!, edited!, discarded!])
      expect(await redis.exists(keys.vault(keptVaultId(r.requestId)))).toBe(0);
    const audit = JSON.stringify(await h.ctx.audit.read({ requestId: edited!.requestId }));
    expect(audit).not.toContain('Vormittag');
    expect(h.logs.join('')).not.toContain('Vormittag');
  }, 60_000);
});

describe('draft quality, automatic delivery', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({
      policy: (p) => ({
        ...p,
        flows: Object.fromEntries(
          Object.entries(p.flows).map(([name, f]) => [name, { ...f, delivery: 'auto' as const }]),
        ),
      }),
    });
  }, 60_000);
  afterAll(() => h.close());

  it('sends every contact a mail that reads right and claims no review', async () => {
    const rendered = await render(h, 'auto', 2);
    for (const { c, mail } of rendered) assertMail(c, 'auto', mail, h.ctx.policy.mail.maxBodyChars);
    // Nothing is kept for edit tracking: no rep edits an automatic mail.
    const keys = keysFor(h.ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX);
    for (const { requestId } of rendered)
      expect(await h.ctx.redis.exists(keys.vault(keptVaultId(requestId)))).toBe(0);
  }, 90_000);
});

describe('draft quality, length limit', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    h = await startPipelineHarness({ policy: (p) => ({ ...p, mail: { ...p.mail, maxBodyChars: 380 } }) });
  }, 60_000);
  afterAll(() => h.close());

  it('a draft over mail.maxBodyChars gives way to the template, cut at a sentence end with greeting, closing and notice', async () => {
    const c = CASES[0]!;
    const contactId = seed(h, c, 3);
    const { requestId } = await h.deliverWebhook(contactId, { subscriptionType: 'contact.propertyChange' });
    const record = await h.waitForState(requestId, ['awaiting_review']);
    expect(record.templateFallback).toBe('llm_too_long');
    const [mail] = h.draftsFor(requestId);
    expect(mail!.body.length).toBeLessThanOrEqual(380);
    expect(mail!.categories).toEqual([h.ctx.policy.mail.templateCategory]);
    // The plain template involves no AI: no AI notice, no delimiter; the rest reads as right.
    expect(mail!.body).not.toMatch(/KI-System|\n-- \n/);
    expect(mail!.body.startsWith(`${c.greeting}\n\nvielen Dank`)).toBe(true);
    expect(mail!.body).toMatch(/[.?!]\n\nMit freundlichen Grüßen\nMax Vertrieb$/);
    expect(mail!.body).not.toMatch(/(?<!\.)\.\.(?!\.)|[ \t][,.;:!?]|[ \t]{2}|[ \t]$|\[\[|\{\{/m);
  }, 60_000);
});

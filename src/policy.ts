import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { CORE_FIELDS, CrmFieldOverrides, CrmObjectType, LogicalField } from './crm-fields.ts';

/**
 * The policy file (config/policy.yaml): triggers, per-flow minimisation, purposes and legal bases,
 * delivery mode, LLM route and regions, special-category actions and retention classes.
 * Errors name the file position of the offending value.
 */

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const Duration = z
  .string()
  .regex(DURATION, 'a duration like 15m, 24h or 30d')
  .transform((v) => {
    const [, n, unit] = DURATION.exec(v)!;
    return Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  });

export const FlowName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'lower-case letters, digits and _');

export const DeliveryMode = z.enum(['review', 'auto']);
export type DeliveryMode = z.infer<typeof DeliveryMode>;

export const LlmRoute = z.enum(['eu', 'local']);
export type LlmRoute = z.infer<typeof LlmRoute>;

export const SensitiveCategory = z.enum([
  'health',
  'religion',
  'political',
  'trade_union',
  'ethnic_origin',
  'sex_life',
  'genetic',
  'biometric',
  'financial',
]);
export type SensitiveCategory = z.infer<typeof SensitiveCategory>;

export const SensitiveAction = z.enum(['block', 'local', 'redact']);
export type SensitiveAction = z.infer<typeof SensitiveAction>;

export const RetentionClass = z.enum([
  'audit',
  'request',
  'vault',
  'webhookDedupe',
  'jobsCompleted',
  'jobsFailed',
]);
export type RetentionClass = z.infer<typeof RetentionClass>;

export const Language = z.enum(['de', 'en']);
export type Language = z.infer<typeof Language>;

/**
 * `contact.creation`: a new contact or lead; `contact.propertyChange`: a logical field changed (the
 * CRM's intake maps its own field name to the logical one). `objectTypes` limits a trigger to
 * contacts or leads where the CRM keeps them apart (Salesforce, Dataverse).
 */
const Trigger = z.object({
  event: z.enum(['contact.creation', 'contact.propertyChange']),
  property: LogicalField.optional(),
  objectTypes: z.array(CrmObjectType).min(1).default(['contact', 'lead']),
  value: z.string().optional(),
  flow: FlowName,
});
export type Trigger = z.infer<typeof Trigger>;

/** One text per language; `{{rep}}` is the reviewing rep's name, filled in locally after re-identification. */
const NoticeText = z.record(Language, z.string().min(1));

/**
 * The AI-transparency notice under every mail (EU AI Act Art. 50), per delivery mode: a `review`
 * notice may name the rep who checked the mail, an `auto` notice must not claim any review.
 */
const AiNotices = z.object({ review: NoticeText, auto: NoticeText });
export type AiNotices = z.infer<typeof AiNotices>;

/** Wording that tells the recipient a person checked the mail (false for `auto` delivery). */
const CLAIMS_REVIEW = /\{\{\s*rep\s*\}\}|geprüft|überprüft|freigegeben|kontrolliert|review|checked|approved/i;
export function noticeClaimsReview(text: string): boolean {
  return CLAIMS_REVIEW.test(text);
}

const Flow = z.object({
  purpose: z.string().min(1),
  legalBasis: z.string().min(1),
  /** Logical field names (see `crm.fields`); only these are ever read from the CRM for the flow. */
  fields: z.array(LogicalField).min(1),
  delivery: DeliveryMode.default('review'),
  llmRoute: LlmRoute.default('eu'),
  template: z.string().regex(/^[a-z0-9_]+$/),
  retention: RetentionClass.default('request'),
  /** Overrides `mail.transparencyNotice.<delivery>` for this flow. */
  notice: NoticeText.optional(),
});
export type FlowPolicy = z.infer<typeof Flow>;

/** Who serves an LLM route (docs/llm-providers.md); `local` is the self-hosted OpenAI-compatible model. */
export const LlmProvider = z.enum(['azure', 'bedrock', 'vertex', 'openai', 'mistral', 'local']);
export type LlmProvider = z.infer<typeof LlmProvider>;

/**
 * EU regions per provider. The old flat list still works and means Azure; a provider without a list
 * here gets the built-in EU list (src/llm-residency.ts).
 */
const RegionsByProvider = z
  .object({
    azure: z.array(z.string().min(1)).min(1).optional(),
    bedrock: z.array(z.string().min(1)).min(1).optional(),
    vertex: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();
const AllowedRegions = z.union([
  z
    .array(z.string().min(1))
    .min(1)
    .transform((azure): z.output<typeof RegionsByProvider> => ({ azure })),
  RegionsByProvider,
]);
export type AllowedRegions = z.output<typeof AllowedRegions>;

/** Which provider serves a route: the policy's choice, else `local` for the local route, else DRAFTBRIDGE_LLM. */
export function routeProvider(
  policy: Pick<Policy, 'llm'>,
  route: LlmRoute,
  fallback: Exclude<LlmProvider, 'local'>,
): LlmProvider {
  return policy.llm.routes[route].provider ?? (route === 'local' ? 'local' : fallback);
}

const RouteBudget = z.object({
  /** Unset: `local` for the local route, DRAFTBRIDGE_LLM (default azure) for the eu route. */
  provider: LlmProvider.optional(),
  requestsPerMinute: z.number().int().positive(),
  tokensPerMinute: z.number().int().positive(),
  timeoutMs: z.number().int().positive().default(30_000),
});
export type RouteBudget = z.infer<typeof RouteBudget>;

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;
const Clock = z
  .string()
  .regex(CLOCK, 'a time like 09:00')
  .transform((v) => Number(v.slice(0, 2)) * 60 + Number(v.slice(3, 5)));

/**
 * Appointment slots offered in a draft: computed in code from the owner's free/busy, working hours,
 * public holidays and the contact's wishes. `workingHours` is used where the mailbox has none
 * (Gmail, or a mailbox without settings).
 */
const Scheduling = z.object({
  enabled: z.boolean().default(true),
  slotMinutes: z.number().int().min(10).max(240).default(30),
  leadTime: Duration.default(4 * 3_600_000),
  horizonDays: z.number().int().min(1).max(60).default(10),
  slotsOffered: z.number().int().min(2).max(3).default(3),
  /** date-holidays country and optional state, e.g. DE-BE (Berlin), GB-ENG, AT. */
  /** Tentative events in the owner's calendar for the offered slots until the contact chooses (Calendars.ReadWrite). */
  holds: z.boolean().default(false),
  holidayRegion: z
    .string()
    .regex(/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/, 'a country code with an optional region, like DE-BE')
    .default('DE'),
  workingHours: z
    .object({
      days: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
      start: Clock.default(9 * 60),
      end: Clock.default(17 * 60),
      timeZone: z.string().min(1).default('Europe/Berlin'),
    })
    .default({ days: [1, 2, 3, 4, 5], start: 9 * 60, end: 17 * 60, timeZone: 'Europe/Berlin' }),
});
export type SchedulingPolicy = z.output<typeof Scheduling>;
export const DEFAULT_SCHEDULING: SchedulingPolicy = Scheduling.parse({});

/** A party the DPO's documents name (controller, data-protection officer); supplied by the operator. */
const CompliancePartySchema = z.object({
  name: z.string().min(1).optional(),
  address: z.string().min(1).optional(),
  /** How to reach them: an address, phone or web form (a role address, not a person's). */
  contact: z.string().min(1).optional(),
});

/** What the operator knows about one external system that the configuration cannot tell. */
const ComplianceVendorSchema = z.object({
  /** Where it processes the data: a region as the vendor names it (westeurope), a country code (DE) or EU. */
  location: z.string().min(1).optional(),
  /** The signed data-processing agreement (AVV, Art. 28 GDPR): a document reference or URL. */
  dpa: z.string().min(1).optional(),
});

/**
 * Operator-supplied facts for `draftbridge compliance` (controller, DPO, per-system location and DPA);
 * everything else in those documents comes from the policy, the settings and measured state. Vendor
 * keys are system ids: hubspot, salesforce, dynamics, graph, gmail, azure, local, hosting.
 */
export const ComplianceSection = z.object({
  controller: CompliancePartySchema.optional(),
  dpo: CompliancePartySchema.optional(),
  vendors: z
    .record(
      z.string().regex(/^[a-z][a-z0-9_]*$/, 'a system id like hubspot or azure'),
      ComplianceVendorSchema,
    )
    .optional(),
});
export type ComplianceSection = z.infer<typeof ComplianceSection>;

export const PolicySchema = z
  .object({
    version: z.literal(1),
    defaults: z.object({
      language: Language.default('de'),
      /** A trigger while the contact's request of the same flow is open and this young is a repeat (no draft); 0s: off. */
      openRequestWindow: Duration.default(7 * 86_400_000),
      jobs: z
        .object({
          attempts: z.number().int().min(1).max(50).default(5),
          backoffMs: z.number().int().min(10).default(2000),
        })
        .default({ attempts: 5, backoffMs: 2000 }),
    }),
    triggers: z.array(Trigger).min(1),
    crm: z.object({ fields: CrmFieldOverrides.default({}) }).default({ fields: {} }),
    webhooks: z
      .object({
        hubspot: z
          .object({
            /** Accept v1/v2 signatures (no timestamp, replayable) on the workflow route; app webhooks always need v3. */
            workflowLegacySignatures: z.boolean().default(false),
          })
          .default({ workflowLegacySignatures: false }),
      })
      .default({ hubspot: { workflowLegacySignatures: false } }),
    flows: z.record(FlowName, Flow),
    llm: z.object({
      allowedRegions: AllowedRegions,
      routes: z.object({ eu: RouteBudget, local: RouteBudget }),
    }),
    sensitive: z.partialRecord(SensitiveCategory, SensitiveAction).default({}),
    mail: z.object({
      reviewCategory: z.string().min(1),
      templateCategory: z.string().min(1),
      allowedLinks: z.array(z.url()).default([]),
      /** A draft waiting longer than this for its reviewer is overdue (review page, alert metric). */
      reviewMaxAge: Duration.default(48 * 3_600_000),
      /**
       * A draft that left Drafts counts as rejected only when, this long after, it is not in Sent Items:
       * a send is reported as a deletion from Drafts and a creation in Sent Items, in either order.
       */
      draftRemovalGrace: Duration.default(30_000),
      transparencyNotice: AiNotices,
      /** Upper bound on a mail body, notice included; longer LLM drafts give way to the template. */
      maxBodyChars: z.number().int().min(300).max(100_000).default(4000),
    }),
    limits: z.object({
      hubspot: z.object({ requestsPer10s: z.number().int().positive().default(100) }),
      graph: z.object({ mailboxConcurrency: z.number().int().min(1).max(4).default(4) }),
      /**
       * Drafts in flight per worker process. An LLM call is I/O (seconds of waiting), so this is high:
       * the shared quota (llm.routes.*, booked in Redis across processes) decides when each call goes.
       */
      llm: z
        .object({ draftConcurrency: z.number().int().min(1).max(1000).default(64) })
        .default({ draftConcurrency: 64 }),
    }),
    retention: z.record(RetentionClass, Duration),
    /** Data-subject rights the service applies by itself. */
    privacy: z
      .object({
        /** A CRM contact deletion (HubSpot `contact.deletion`) erases like a GDPR deletion does. */
        eraseOnContactDeletion: z.boolean().default(false),
        /** How often the retention sweeper runs by itself (a BullMQ job scheduler); `0s` turns it off. */
        retentionSweepEvery: z
          .union([
            z.literal('0s').transform(() => 0),
            Duration.refine((ms) => ms >= 60_000, 'at least 1m (or 0s for off)'),
          ])
          .default(3_600_000),
      })
      .default({ eraseOnContactDeletion: false, retentionSweepEvery: 3_600_000 }),
    scheduling: Scheduling.default(DEFAULT_SCHEDULING),
    /** Operator-supplied facts for the DPO's documents; optional (missing facts print as "to complete"). */
    compliance: ComplianceSection.optional(),
  })
  .superRefine((p, ctx) => {
    p.triggers.forEach((t, i) => {
      if (!(t.flow in p.flows)) {
        ctx.addIssue({
          code: 'custom',
          path: ['triggers', i, 'flow'],
          message: `no flow named "${t.flow}" under flows`,
        });
      }
      if (t.event === 'contact.propertyChange' && !t.property) {
        ctx.addIssue({
          code: 'custom',
          path: ['triggers', i, 'property'],
          message: 'a propertyChange trigger needs a property',
        });
      }
    });
    for (const [name, flow] of Object.entries(p.flows)) {
      if (!flow.fields.includes('email')) {
        ctx.addIssue({
          code: 'custom',
          path: ['flows', name, 'fields'],
          message: 'must include email (the draft needs a recipient)',
        });
      }
      // An automatic mail that says a person reviewed it would defeat the transparency notice.
      for (const [language, text] of Object.entries(flow.notice ?? {})) {
        if (flow.delivery === 'auto' && noticeClaimsReview(text)) {
          ctx.addIssue({
            code: 'custom',
            path: ['flows', name, 'notice', language],
            message: `flow "${name}" is sent automatically, so its notice must not claim that a person reviewed the mail`,
          });
        }
      }
    }
    const autoFlows = Object.entries(p.flows)
      .filter(([, f]) => f.delivery === 'auto' && !f.notice)
      .map(([n]) => n);
    for (const [language, text] of Object.entries(p.mail.transparencyNotice.auto)) {
      if (noticeClaimsReview(text)) {
        const usedBy = autoFlows.length ? ` (used by ${autoFlows.join(', ')})` : '';
        ctx.addIssue({
          code: 'custom',
          path: ['mail', 'transparencyNotice', 'auto', language],
          message: `the notice for automatic delivery${usedBy} must not claim that a person reviewed the mail`,
        });
      }
    }
  });

export type Policy = z.output<typeof PolicySchema>;

/** The notice a flow's mails carry in `language`, with `{{rep}}` still unfilled. */
export function noticeFor(policy: Pick<Policy, 'mail'>, flow: FlowPolicy, language: Language): string {
  return flow.notice?.[language] ?? policy.mail.transparencyNotice[flow.delivery][language] ?? '';
}

export class PolicyError extends Error {
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(`invalid policy ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PolicyError';
    this.problems = problems;
  }
}

/** Parses policy YAML text; `file` is only used in messages. */
export function parsePolicy(text: string, file = 'policy.yaml'): Policy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const where = (offset: number | undefined) => {
    if (offset === undefined) return file;
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw new PolicyError(
      file,
      doc.errors.map((e) => `${where(e.pos[0])}: ${e.message.split('\n')[0]}`),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // Well-formed YAML can still fail to resolve (an alias to an anchor that does not exist).
    throw new PolicyError(file, [`${file}: ${(err as Error).message.split('\n')[0]}`]);
  }
  const result = PolicySchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      // Walk back up the path until a node with a source range is found.
      let node: unknown = undefined;
      for (let n = issue.path.length; n >= 0 && !isNode(node); n--) {
        node = doc.getIn(issue.path.slice(0, n) as (string | number)[], true);
      }
      const offset = isNode(node) ? (node as YamlNode).range?.[0] : undefined;
      const at = issue.path.length ? issue.path.join('.') : '(top level)';
      return `${where(offset)}: ${at}: ${issue.message}`;
    });
    throw new PolicyError(file, problems);
  }
  return result.data;
}

export async function loadPolicy(file: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PolicyError(file, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parsePolicy(text, file);
}

/** Every logical field a deployment reads or writes: the flows' lists, the triggers' and the core's own. */
export function logicalFieldsInUse(policy: Policy): string[] {
  const fields = new Set<string>(CORE_FIELDS);
  for (const flow of Object.values(policy.flows)) for (const f of flow.fields) fields.add(f);
  for (const t of policy.triggers) if (t.property) fields.add(t.property);
  return [...fields];
}

/** Which flow a CRM event starts, if any; `propertyName` is the logical field name. */
export function matchTrigger(
  policy: Policy,
  event: {
    subscriptionType: string;
    objectType?: CrmObjectType | undefined;
    propertyName?: string | undefined;
    propertyValue?: string | undefined;
  },
): Trigger | undefined {
  return policy.triggers.find(
    (t) =>
      t.event === event.subscriptionType &&
      t.objectTypes.includes(event.objectType ?? 'contact') &&
      (t.property === undefined || t.property === event.propertyName) &&
      (t.value === undefined || t.value === event.propertyValue),
  );
}

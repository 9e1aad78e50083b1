import type { Connection } from 'jsforce';

/**
 * The custom fields draftbridge reads and writes, created on Contact and Lead by `draftbridge
 * salesforce setup` through the Metadata API (jsforce's conn.metadata: readMetadata, then
 * upsertMetadata for the missing ones only, so an admin's later label or help-text changes survive a
 * re-run). Field-level security is the admin's: grant the integration user's permission set read on
 * the callback fields and edit on the status fields.
 */
export interface SalesforceFieldSpec {
  name: string;
  label: string;
  type: 'Checkbox' | 'Text' | 'LongTextArea';
  length?: number;
  visibleLines?: number;
  description: string;
}

export const SALESFORCE_FIELDS: readonly SalesforceFieldSpec[] = [
  {
    name: 'Callback_Requested__c',
    label: 'Rückruf vereinbaren',
    type: 'Checkbox',
    description: 'The rep asks draftbridge for a callback appointment e-mail.',
  },
  {
    name: 'Callback_Note__c',
    label: 'Notes for the callback',
    type: 'LongTextArea',
    length: 32_768,
    visibleLines: 4,
    description: 'What the callback is about (read by draftbridge, pseudonymised before any LLM).',
  },
  {
    name: 'Draftbridge_Status__c',
    label: 'draftbridge status',
    type: 'Text',
    length: 40,
    description: 'Where the last draftbridge request stands (written by draftbridge).',
  },
  {
    name: 'Draftbridge_Opt_Out__c',
    label: 'No AI-drafted e-mails (objection)',
    type: 'Checkbox',
    description: 'Set: draftbridge never drafts for this person.',
  },
  {
    name: 'Draftbridge_Last_Request_Id__c',
    label: 'draftbridge last request',
    type: 'Text',
    length: 160,
    description: 'The request id to look up in the draftbridge audit trail.',
  },
  {
    name: 'Language__c',
    label: 'Language',
    type: 'Text',
    length: 10,
    description: 'Preferred language for e-mails (de, en).',
  },
];

export const SALESFORCE_OBJECTS = ['Contact', 'Lead'] as const;

function metadataFor(object: string, f: SalesforceFieldSpec): Record<string, unknown> {
  return {
    fullName: `${object}.${f.name}`,
    label: f.label,
    type: f.type,
    description: f.description,
    ...(f.type === 'Checkbox' ? { defaultValue: 'false' } : {}),
    ...(f.length ? { length: f.length } : {}),
    ...(f.visibleLines ? { visibleLines: f.visibleLines } : {}),
  };
}

/** The Metadata API takes at most ten components per call. */
function chunks<T>(items: T[], size = 10): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function ensureSalesforceFields(
  conn: Connection,
): Promise<{ created: string[]; existing: string[] }> {
  const wanted = SALESFORCE_OBJECTS.flatMap((o) => SALESFORCE_FIELDS.map((f) => metadataFor(o, f)));
  const existing: string[] = [];
  for (const batch of chunks(wanted)) {
    const found = await conn.metadata.read(
      'CustomField',
      batch.map((m) => String(m.fullName)),
    );
    for (const r of [found].flat())
      if (r && typeof r === 'object' && 'fullName' in r && r.fullName) existing.push(String(r.fullName));
  }
  const missing = wanted.filter((m) => !existing.includes(String(m.fullName)));
  const created: string[] = [];
  for (const batch of chunks(missing)) {
    const results = [await conn.metadata.upsert('CustomField', batch as never)].flat() as {
      fullName: string;
      success: boolean | string;
      errors?: { message: string; statusCode: string } | { message: string; statusCode: string }[];
    }[];
    for (const r of results) {
      if (String(r.success) !== 'true') {
        const errors = [r.errors ?? []].flat();
        throw new Error(
          `salesforce setup: ${r.fullName} was not created (${errors.map((e) => `${e.statusCode}: ${e.message}`).join('; ')})`,
        );
      }
      created.push(r.fullName);
    }
  }
  return { created, existing };
}

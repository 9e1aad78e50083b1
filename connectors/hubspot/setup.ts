import type { Client } from '@hubspot/api-client';

/**
 * The contact properties draftbridge reads and writes, created once per portal by
 * `draftbridge hubspot setup` (idempotent: existing ones are left alone).
 */
export const DRAFTBRIDGE_GROUP = { name: 'draftbridge', label: 'draftbridge', displayOrder: -1 };

const YES_NO = [
  { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
  { label: 'No', value: 'false', displayOrder: 1, hidden: false },
];

const STATUS_OPTIONS = [
  'received',
  'fetched',
  'drafted',
  'awaiting_review',
  'sent',
  'rejected',
  'blocked_sensitive',
  'suppressed',
  'failed',
];

export const DRAFTBRIDGE_PROPERTIES = [
  {
    name: 'draftbridge_status',
    label: 'draftbridge status',
    type: 'enumeration',
    fieldType: 'select',
    groupName: 'draftbridge',
    options: STATUS_OPTIONS.map((value, displayOrder) => ({
      label: value.replace(/_/g, ' '),
      value,
      displayOrder,
      hidden: false,
    })),
  },
  {
    name: 'draftbridge_last_request_id',
    label: 'draftbridge last request',
    type: 'string',
    fieldType: 'text',
    groupName: 'draftbridge',
  },
  {
    name: 'draftbridge_opt_out',
    label: 'No AI-drafted e-mails (objection)',
    type: 'enumeration',
    fieldType: 'booleancheckbox',
    groupName: 'draftbridge',
    options: YES_NO,
  },
  {
    name: 'callback_requested',
    label: 'Rückruf vereinbaren',
    type: 'enumeration',
    fieldType: 'booleancheckbox',
    groupName: 'draftbridge',
    options: YES_NO,
  },
  {
    name: 'callback_notes',
    label: 'Notes for the callback',
    type: 'string',
    fieldType: 'textarea',
    groupName: 'draftbridge',
  },
];

export async function ensureCustomProperties(
  client: Client,
): Promise<{ created: string[]; existing: string[] }> {
  const created: string[] = [];
  const existing: string[] = [];
  const alreadyThere = (err: unknown) => (err as { code?: number }).code === 409;
  try {
    await client.crm.properties.groupsApi.create('contacts', DRAFTBRIDGE_GROUP);
  } catch (err) {
    if (!alreadyThere(err)) throw err;
  }
  for (const property of DRAFTBRIDGE_PROPERTIES) {
    try {
      await client.crm.properties.coreApi.create(
        'contacts',
        property as Parameters<typeof client.crm.properties.coreApi.create>[1],
      );
      created.push(property.name);
    } catch (err) {
      if (!alreadyThere(err)) throw err;
      existing.push(property.name);
    }
  }
  return { created, existing };
}

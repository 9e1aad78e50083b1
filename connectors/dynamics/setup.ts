import type { DynamicsWebApi } from 'dynamics-web-api';

/**
 * The columns draftbridge reads and writes on contact and lead, created by `draftbridge dynamics
 * setup` through the Web API's metadata endpoints: each column is looked up first
 * (EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='…')) and created only when it is
 * missing, so a re-run changes nothing. `new_` is the default publisher's prefix; with another
 * publisher, pass its prefix and map the names under crm.fields.dynamics in the policy.
 */
export interface DataverseColumnSpec {
  /** Without the prefix, e.g. `CallbackRequested` → `new_CallbackRequested` / logical `new_callbackrequested`. */
  name: string;
  label: string;
  type: 'Boolean' | 'String' | 'Memo';
  maxLength?: number;
  description: string;
}

export const DATAVERSE_COLUMNS: readonly DataverseColumnSpec[] = [
  {
    name: 'CallbackRequested',
    label: 'Rückruf vereinbaren',
    type: 'Boolean',
    description: 'The rep asks draftbridge for a callback appointment e-mail.',
  },
  {
    name: 'CallbackNote',
    label: 'Notes for the callback',
    type: 'Memo',
    maxLength: 4000,
    description: 'What the callback is about (pseudonymised before any LLM).',
  },
  {
    name: 'DraftbridgeStatus',
    label: 'draftbridge status',
    type: 'String',
    maxLength: 40,
    description: 'Where the last draftbridge request stands (written by draftbridge).',
  },
  {
    name: 'DraftbridgeOptOut',
    label: 'No AI-drafted e-mails (objection)',
    type: 'Boolean',
    description: 'Set: draftbridge never drafts for this person.',
  },
  {
    name: 'DraftbridgeLastRequestId',
    label: 'draftbridge last request',
    type: 'String',
    maxLength: 160,
    description: 'The request id to look up in the draftbridge audit trail.',
  },
  {
    name: 'Language',
    label: 'Language',
    type: 'String',
    maxLength: 10,
    description: 'Preferred language for e-mails (de, en).',
  },
];

export const DATAVERSE_ENTITIES = ['contact', 'lead'] as const;

const label = (text: string) => ({
  '@odata.type': 'Microsoft.Dynamics.CRM.Label',
  LocalizedLabels: [
    { '@odata.type': 'Microsoft.Dynamics.CRM.LocalizedLabel', Label: text, LanguageCode: 1033 },
  ],
});

/** The AttributeMetadata body the Web API documents for each column type. */
export function attributeMetadata(prefix: string, c: DataverseColumnSpec): Record<string, unknown> {
  const common = {
    SchemaName: `${prefix}_${c.name}`,
    DisplayName: label(c.label),
    Description: label(c.description),
    RequiredLevel: {
      Value: 'None',
      CanBeChanged: true,
      ManagedPropertyLogicalName: 'canmodifyrequirementlevelsettings',
    },
  };
  switch (c.type) {
    case 'Boolean':
      return {
        '@odata.type': 'Microsoft.Dynamics.CRM.BooleanAttributeMetadata',
        ...common,
        AttributeType: 'Boolean',
        AttributeTypeName: { Value: 'BooleanType' },
        DefaultValue: false,
        OptionSet: {
          '@odata.type': 'Microsoft.Dynamics.CRM.BooleanOptionSetMetadata',
          TrueOption: { Value: 1, Label: label('Yes') },
          FalseOption: { Value: 0, Label: label('No') },
          OptionSetType: 'Boolean',
        },
      };
    case 'Memo':
      return {
        '@odata.type': 'Microsoft.Dynamics.CRM.MemoAttributeMetadata',
        ...common,
        AttributeType: 'Memo',
        AttributeTypeName: { Value: 'MemoType' },
        Format: 'TextArea',
        ImeMode: 'Disabled',
        MaxLength: c.maxLength,
      };
    default:
      return {
        '@odata.type': 'Microsoft.Dynamics.CRM.StringAttributeMetadata',
        ...common,
        AttributeType: 'String',
        AttributeTypeName: { Value: 'StringType' },
        FormatName: { Value: 'Text' },
        MaxLength: c.maxLength,
      };
  }
}

export async function ensureDataverseColumns(
  api: DynamicsWebApi,
  prefix = 'new',
): Promise<{ created: string[]; existing: string[] }> {
  const created: string[] = [];
  const existing: string[] = [];
  for (const entity of DATAVERSE_ENTITIES) {
    for (const c of DATAVERSE_COLUMNS) {
      const logical = `${prefix}_${c.name}`.toLowerCase();
      const found = await api
        .retrieveAttribute({
          entityKey: `LogicalName='${entity}'`,
          attributeKey: `LogicalName='${logical}'`,
          select: ['LogicalName'],
        })
        .then(
          () => true,
          (err: { status?: number }) => {
            if (err.status === 404) return false;
            throw err;
          },
        );
      if (found) {
        existing.push(`${entity}.${logical}`);
        continue;
      }
      await api.createAttribute({ entityKey: `LogicalName='${entity}'`, data: attributeMetadata(prefix, c) });
      created.push(`${entity}.${logical}`);
    }
  }
  return { created, existing };
}

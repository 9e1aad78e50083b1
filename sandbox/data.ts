/**
 * The sandbox's invented demo data and fixed secrets: plain values, no simulators, so the CLI's
 * `demo` and the bench can name them without loading any test double.
 */
export const SANDBOX_HUBSPOT_SECRET = 'sandbox-hubspot-client-secret';
export const SANDBOX_PORTAL_ID = 62515;

/** Invented people on example.com; one per interesting path of the pipeline. */
export const SANDBOX_CONTACTS: { id: string; label: string; properties: Record<string, string> }[] = [
  {
    id: '1001',
    label: 'callback, German',
    properties: {
      firstname: 'Erika',
      lastname: 'Musterfrau',
      email: 'erika.musterfrau@example.com',
      salutation: 'Frau',
      hs_language: 'de',
      company: 'Beispiel Maschinenbau GmbH',
      jobtitle: 'Einkaufsleiterin',
      phone: '+49 30 901820',
      hubspot_owner_id: '9001',
      callback_notes: 'Bitte Rückruf wegen Angebot für drei Fräsmaschinen, am besten vormittags.',
    },
  },
  {
    id: '1002',
    label: 'callback, English',
    properties: {
      firstname: 'John',
      lastname: 'Example',
      email: 'john.example@example.com',
      salutation: 'Mr',
      hs_language: 'en',
      company: 'Example Logistics Ltd.',
      jobtitle: 'Head of Operations',
      hubspot_owner_id: '9002',
      callback_notes: 'Asked for a call about fleet tracking, afternoons preferred.',
    },
  },
  {
    id: '1003',
    label: 'health note: local model',
    properties: {
      firstname: 'Jonas',
      lastname: 'Beispielmann',
      email: 'jonas.beispielmann@example.com',
      salutation: 'Herr',
      hs_language: 'de',
      company: 'Muster Logistik AG',
      hubspot_owner_id: '9001',
      callback_notes: 'Ist nach einem Bandscheibenvorfall noch krankgeschrieben, Rückruf erst nächste Woche.',
    },
  },
  {
    id: '1004',
    label: 'religion note: blocked',
    properties: {
      firstname: 'Miriam',
      lastname: 'Testfrau',
      email: 'miriam.testfrau@example.com',
      salutation: 'Frau',
      hs_language: 'de',
      hubspot_owner_id: '9001',
      callback_notes: 'Bitte nicht freitags anrufen, sie ist in der Synagoge engagiert.',
    },
  },
  {
    id: '1005',
    label: 'opted out',
    properties: {
      firstname: 'Otto',
      lastname: 'Widerspruch',
      email: 'otto.widerspruch@example.com',
      salutation: 'Herr',
      hs_language: 'de',
      hubspot_owner_id: '9001',
      draftbridge_opt_out: 'true',
    },
  },
  {
    id: '1006',
    label: 'new lead',
    properties: {
      firstname: 'Lea',
      lastname: 'Neukunde',
      email: 'lea.neukunde@example.com',
      salutation: 'Frau',
      hs_language: 'de',
      company: 'Neu & Partner KG',
      hubspot_owner_id: '9002',
      message: 'Interesse an einer Demo für unser Lager.',
    },
  },
];

export const SANDBOX_OWNERS = [
  { id: '9001', email: 'max.vertrieb@example.com', firstName: 'Max', lastName: 'Vertrieb' },
  { id: '9002', email: 'sophie.lindqvist@example.com', firstName: 'Sophie', lastName: 'Lindqvist' },
];

import { describe, expect, it } from 'vitest';
import { renderBundle } from '../../../src/compliance/bundle.ts';
import { TO_COMPLETE } from '../../../src/compliance/documents/index.ts';
import { NOTHING_MEASURED, systemsOf, type ComplianceFacts } from '../../../src/compliance/facts.ts';
import { complianceFacts } from '../../../src/compliance/generate.ts';
import { parsePolicy, PolicyError } from '../../../src/policy.ts';
import { recordOfProcessing } from '../../../src/privacy/ropa.ts';
import {
  DEFAULT_POLICY_TEXT,
  hubspotOutlookAzure,
  salesforceGmailLocal,
  type Deployment,
} from '../deployments.ts';

/** The documents name exactly the systems a deployment configures, in both languages. */

function generate(
  d: Deployment,
  measured = NOTHING_MEASURED,
): { facts: ComplianceFacts; text: string; files: Map<string, string> } {
  const facts = complianceFacts(
    d.policy,
    d.settings,
    { path: 'policy.yaml', text: d.policyText },
    measured,
    new Date('2026-12-01T09:00:00Z'),
  );
  const bundle = renderBundle(facts, ['de', 'en']);
  return { facts, text: [...bundle.markdown.values()].join('\n'), files: bundle.markdown };
}

/** Product names of every system draftbridge can talk to: a document must name only the configured ones. */
const EVERY_SYSTEM = {
  hubspot: /HubSpot/i,
  salesforce: /Salesforce/i,
  dynamics: /Dynamics|Dataverse/i,
  graph: /Microsoft Graph|Exchange Online|Outlook/i,
  gmail: /Gmail|Google/i,
  azure: /Azure/i,
  local: /self-hosted model/i,
};

describe('compliance documents from HubSpot + Outlook + Azure OpenAI', () => {
  const d = hubspotOutlookAzure();
  const { facts, text, files } = generate(d);

  it('six documents, German and English, each with the policy hash and the systems in the header', () => {
    expect([...files.keys()].sort()).toEqual(
      ['deletion', 'dpia', 'information', 'processors', 'record', 'toms']
        .flatMap((id) => [`${id}.de.md`, `${id}.en.md`])
        .sort(),
    );
    for (const [name, md] of files) {
      expect(md, name).toContain(facts.config.policySha256);
      expect(md, name).toContain('`DRAFTBRIDGE_CRM=hubspot`');
      expect(md, name).toContain('`DRAFTBRIDGE_MAIL=graph`');
      expect(md, name).toContain('2026-12-01T09:00:00.000Z');
    }
    expect(files.get('dpia.en.md')).toContain('DRAFT');
    expect(files.get('dpia.de.md')).toContain('ENTWURF');
    // Keys, HTTPS, role credentials and EU regions are set; `financial: redact` keeps one risk at medium.
    expect(files.get('dpia.en.md')).toContain('Highest proposed residual risk: **medium**');
  });

  it('names the configured CRM, mailbox system and LLM provider with their regions, and no other system', () => {
    expect(facts.config.crm.id).toBe(d.settings.DRAFTBRIDGE_CRM);
    expect(facts.config.mail.id).toBe(d.settings.DRAFTBRIDGE_MAIL);
    expect(facts.config.llmRoutes.map((r) => [r.route, r.id, r.region?.label])).toEqual([
      ['eu', 'azure', `${d.settings.AZURE_OPENAI_REGION} (DE)`],
    ]);
    expect(text).toContain('HubSpot CRM');
    expect(text).toContain('Microsoft 365 Exchange Online (Microsoft Graph)');
    expect(text).toContain('Azure OpenAI Service');
    expect(text).toContain(`${d.settings.AZURE_OPENAI_REGION} (DE), EU/EEA (from \`AZURE_OPENAI_REGION\`)`);
    expect(text).toContain('westeurope (NL), EU/EEA (from `compliance.vendors.graph.location`)');
    expect(text).toContain('`gpt-4o-mini-drafts`');
    for (const absent of ['salesforce', 'dynamics', 'gmail', 'local'] as const)
      expect(text, absent).not.toMatch(EVERY_SYSTEM[absent]);
  });

  it('operator facts come from the compliance section; nothing is left to complete that the policy supplies', () => {
    expect(text).toContain('Beispiel Vertrieb GmbH');
    expect(text).toContain('HubSpot DPA signed 2026-01-15');
    expect(text).not.toContain('`compliance.controller.name`');
    expect(text).not.toContain('`compliance.vendors.hubspot.dpa`');
    // Every region is in the EU/EEA: no transfer warning, the vendor's home country is still pointed out.
    expect(files.get('processors.en.md')).toContain('None: every region is in the EU/EEA.');
    expect(files.get('processors.en.md')).not.toContain('**WARNING:**');
    expect(files.get('processors.en.md')).toContain('vendor based in US');
  });

  it('the information text quotes the AI notices the mails carry', () => {
    for (const notice of [
      d.policy.mail.transparencyNotice.review.de!,
      d.policy.mail.transparencyNotice.review.en!,
    ]) {
      expect(files.get('information.de.md')).toContain(notice);
      expect(files.get('information.en.md')).toContain(notice);
    }
    expect(files.get('information.en.md')).toContain(
      'There is no decision based solely on automated processing',
    );
    // Every location is known and in the EU/EEA, so the text may say there is no transfer.
    expect(files.get('information.en.md')).toContain(
      'No transfer to countries outside the EU/EEA is configured.',
    );
  });

  it('TOMs say "not yet verified" until an audit verification is recorded, then cite it', () => {
    expect(files.get('toms.en.md')).toContain('not yet verified (`draftbridge audit verify`)');
    const measured = {
      ...NOTHING_MEASURED,
      lastAuditVerification: { at: '2026-11-30T08:00:00.000Z', outcome: 'ok', checked: 1234 },
    };
    const again = generate(d, measured).files.get('toms.en.md')!;
    expect(again).toContain('2026-11-30T08:00:00.000Z: ok (1234 events)');
    expect(again).not.toContain('not yet verified');
  });

  it("the deletion concept names this mailbox system's keys; the TOMs check the route's region", () => {
    expect(files.get('deletion.en.md')).toContain('`<prefix>:mailwatch:*`');
    expect(files.get('deletion.en.md')).not.toContain('gmailwatch');
    expect(files.get('toms.en.md')).toContain(
      '| Region of route `eu` | `AZURE_OPENAI_REGION` | germanywestcentral (DE): allowed |',
    );
  });

  it('an Azure region outside the EU/EEA and the allow-list is flagged everywhere it matters', () => {
    const us = generate(hubspotOutlookAzure({ AZURE_OPENAI_REGION: 'eastus' }));
    expect(us.files.get('toms.en.md')).toContain(
      '| Region of route `eu` | `AZURE_OPENAI_REGION` | **WARNING:** not allowed |',
    );
    expect(us.files.get('processors.en.md')).toContain(
      '**WARNING:** Azure OpenAI Service processes in eastus (US): transfer to a third country',
    );
    expect(us.files.get('processors.en.md')).toContain('Route `eu`: region not in `llm.allowedRegions`');
    expect(us.files.get('dpia.en.md')).toContain('Highest proposed residual risk: **high**');
  });

  it('the record of processing (ropa) names the configured systems too', () => {
    const ropa = JSON.stringify(recordOfProcessing(d.policy, d.settings));
    expect(ropa).toContain('HubSpot CRM');
    expect(ropa).toContain('Microsoft Graph');
    expect(ropa).toContain('region germanywestcentral (DE)');
    expect(ropa).not.toMatch(EVERY_SYSTEM.salesforce);
    expect(ropa).not.toMatch(EVERY_SYSTEM.gmail);
  });
});

describe('compliance documents from Salesforce + Gmail + a local model', () => {
  const d = salesforceGmailLocal();
  const { facts, text, files } = generate(d);

  it('names Salesforce, Gmail and the local model with their locations, and no Microsoft or HubSpot system', () => {
    expect(systemsOf(facts.config).map((s) => s.id)).toEqual(['salesforce', 'gmail', 'local', 'hosting']);
    expect(text).toContain('Salesforce Sales Cloud');
    expect(text).toContain('Google Workspace Gmail');
    expect(text).toContain('self-hosted model (OpenAI-compatible API)');
    expect(text).toContain('`llama3.1:8b`');
    expect(text).toContain('europe-west3 (DE), EU/EEA (from `compliance.vendors.gmail.location`)');
    // The CRM's own field names for what the flows read.
    expect(files.get('record.en.md')).toContain('firstname (`FirstName`)');
    expect(files.get('deletion.en.md')).toContain('`<prefix>:gmailwatch:*`');
    for (const absent of ['hubspot', 'dynamics', 'graph', 'azure'] as const)
      expect(text, absent).not.toMatch(EVERY_SYSTEM[absent]);
    expect(text).not.toContain('Microsoft');
  });

  it('what the operator has not supplied is marked to complete', () => {
    expect(text).toContain(`**${TO_COMPLETE.en}:** name (\`compliance.controller.name\`)`);
    expect(text).toContain(`**${TO_COMPLETE.de}:** Name (\`compliance.controller.name\`)`);
    expect(text).toContain('`compliance.vendors.gmail.dpa`');
    expect(text).not.toContain('`compliance.vendors.salesforce.dpa`');
    // Where draftbridge itself runs is not configured: no claim about transfers until it is.
    expect(files.get('information.en.md')).toContain(
      '**TO COMPLETE:** the processing location of draftbridge service and its Redis',
    );
    expect(files.get('information.en.md')).not.toContain('No transfer to countries outside');
  });

  it('a region outside the EU/EEA is a third-country transfer, with a warning', () => {
    const us = salesforceGmailLocal();
    const moved = {
      ...us,
      policyText: us.policyText.replace('salesforce: { location: DE', 'salesforce: { location: US'),
    };
    const { files: f } = generate({
      ...moved,
      policy: {
        ...us.policy,
        compliance: {
          ...us.policy.compliance,
          vendors: { ...us.policy.compliance!.vendors, salesforce: { location: 'US' } },
        },
      },
    });
    expect(f.get('processors.en.md')).toContain(
      '**WARNING:** Salesforce Sales Cloud processes in US: transfer to a third country',
    );
    expect(f.get('processors.de.md')).toContain('**WARNUNG:** Salesforce Sales Cloud verarbeitet in US');
    expect(f.get('record.en.md')).toContain('**Yes**: Salesforce Sales Cloud (US)');
    expect(f.get('information.en.md')).toContain('describe the third-country transfer');
  });
});

describe("the policy's compliance section", () => {
  it('is optional: the default policy has none and parses', () => {
    expect(DEFAULT_POLICY_TEXT).not.toMatch(/^compliance:/m);
    expect(parsePolicy(DEFAULT_POLICY_TEXT).compliance).toBeUndefined();
  });

  it('is validated with the file position of a bad entry', () => {
    const bad = `${DEFAULT_POLICY_TEXT}\ncompliance:\n  vendors:\n    HubSpot: { dpa: 42 }\n`;
    expect(() => parsePolicy(bad, 'policy.yaml')).toThrow(PolicyError);
    expect(() => parsePolicy(bad, 'policy.yaml')).toThrow(
      /policy\.yaml:\d+:\d+: compliance\.vendors\.HubSpot/,
    );
  });
});

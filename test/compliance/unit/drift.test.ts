import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCompliance, MANIFEST, writeBundle } from '../../../src/compliance/bundle.ts';
import { configFacts, NOTHING_MEASURED } from '../../../src/compliance/facts.ts';
import { complianceFacts } from '../../../src/compliance/generate.ts';
import { parsePolicy } from '../../../src/policy.ts';
import { hubspotOutlookAzure, replaceOnce, type Deployment } from '../deployments.ts';

/** `--check`: stored documents against the running policy and configuration. */

describe('compliance --check', () => {
  let dir: string;
  const d = hubspotOutlookAzure();
  const config = (x: Deployment) =>
    configFacts(x.policy, x.settings, { path: 'policy.yaml', text: x.policyText });
  const withPolicy = (text: string): Deployment => ({
    ...d,
    policyText: text,
    policy: parsePolicy(text, 'policy.yaml'),
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'draftbridge-compliance-'));
    const facts = complianceFacts(
      d.policy,
      d.settings,
      { path: 'policy.yaml', text: d.policyText },
      NOTHING_MEASURED,
    );
    await writeBundle(dir, facts, ['de', 'en'], true);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('passes while nothing changed, whatever the time', async () => {
    expect(await checkCompliance(dir, config(d))).toEqual({ ok: true, drift: [] });
  });

  it('a changed retention changes the documents and is named', async () => {
    const changed = withPolicy(replaceOnce(d.policyText, '  request: 30d ', '  request: 7d '));
    const result = await checkCompliance(dir, config(changed));
    expect(result.ok).toBe(false);
    expect(result.drift).toContain('configuration changed: retention.request: 30d → 7d');
    expect(result.drift).toContain('configuration changed: flows.callback.retentionMs: 30d → 7d');
    expect(result.drift).toEqual(
      expect.arrayContaining([
        'record.de.md: no longer matches the running policy and configuration',
        'deletion.en.md: no longer matches the running policy and configuration',
      ]),
    );
    // The policy file's hash is in every header.
    expect(result.drift.some((l) => l.startsWith('configuration changed: policySha256: '))).toBe(true);
  });

  it('a changed route (a flow moved to the local model) is named', async () => {
    const changed = withPolicy(
      replaceOnce(d.policyText, '    llmRoute: eu               #', '    llmRoute: local            #'),
    );
    const result = await checkCompliance(dir, config(changed));
    expect(result.ok).toBe(false);
    expect(result.drift).toContain('configuration changed: flows.callback.llmRoute: "eu" → "local"');
    // The local route now receives text: it appears as a new system.
    expect(result.drift.some((l) => l.startsWith('configuration changed: llmRoutes.local: (none) → '))).toBe(
      true,
    );
  });

  it('a changed system (another Azure region) is named without any policy change', async () => {
    const moved = hubspotOutlookAzure({ AZURE_OPENAI_REGION: 'swedencentral' }, d.policyText);
    const result = await checkCompliance(dir, config({ ...moved, policyText: d.policyText }));
    expect(result.drift).toContain(
      'configuration changed: llmRoutes.eu.region.label: "germanywestcentral (DE)" → "swedencentral (SE)"',
    );
  });

  it('a document edited or deleted by hand is named', async () => {
    await writeFile(join(dir, 'toms.en.md'), `${await readFile(join(dir, 'toms.en.md'), 'utf8')}\nedited\n`);
    await rm(join(dir, 'dpia.de.md'));
    const result = await checkCompliance(dir, config(d));
    expect(result.drift).toEqual(['dpia.de.md: missing', 'toms.en.md: changed since it was generated']);
  });

  it('documents from an older generator are named as such, not as configuration drift', async () => {
    const older = `${await readFile(join(dir, 'dpia.en.md'), 'utf8')}\nwording of an older version\n`;
    await writeFile(join(dir, 'dpia.en.md'), older);
    const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'));
    manifest.files['dpia.en.md'] = createHash('sha256').update(older).digest('hex');
    await writeFile(join(dir, MANIFEST), JSON.stringify(manifest));
    expect((await checkCompliance(dir, config(d))).drift).toEqual([
      'dpia.en.md: differs from what this draftbridge version generates',
    ]);
  });

  it('without a manifest there is nothing to check against', async () => {
    await rm(join(dir, MANIFEST));
    const result = await checkCompliance(dir, config(d));
    expect(result.ok).toBe(false);
    expect(result.drift[0]).toMatch(/compliance\.json is missing: generate the documents/);
  });
});

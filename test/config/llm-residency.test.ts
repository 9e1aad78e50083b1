import type { Settings } from '../../src/settings.ts';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  bedrockGeography,
  describeLlmRoutes,
  llmResidencyProblems,
  llmSettingsProblems,
} from '../../src/llm-residency.ts';
import { parsePolicy } from '../../src/policy.ts';
import { recordOfProcessing } from '../../src/privacy/ropa.ts';
import { loadSettings, SettingsError } from '../../src/settings.ts';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;
const policyText = readFileSync(new URL('../../config/policy.yaml', import.meta.url), 'utf8');
const policy = parsePolicy(policyText);

/** The default policy with the eu route on `provider` (and optionally per-provider regions). */
function policyWith(provider: string, regions?: string): string {
  let text = policyText.replace(/^( {4}eu: \{ )/m, `$1provider: ${provider}, `);
  if (regions) text = text.replace(/^ {2}allowedRegions:\n(?: {4}- .*\n)+/m, `  allowedRegions:\n${regions}`);
  return text;
}

describe('LLM region and residency rules', () => {
  it('refuses each non-EU setting with one line naming the variable', () => {
    const bedrock = parsePolicy(policyWith('bedrock'));
    expect(
      llmResidencyProblems(
        { AWS_REGION: 'us-east-1', BEDROCK_MODEL_ID: 'anthropic.claude-3-haiku-20240307-v1:0' },
        bedrock,
      ),
    ).toEqual([expect.stringMatching(/^AWS_REGION: "us-east-1" is not an EU region/)]);
    expect(
      llmResidencyProblems(
        { AWS_REGION: 'eu-central-1', BEDROCK_MODEL_ID: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0' },
        bedrock,
      ),
    ).toEqual([expect.stringMatching(/^BEDROCK_MODEL_ID: .*"us\." inference profile/)]);
    expect(
      llmResidencyProblems(
        { AWS_REGION: 'eu-central-1', BEDROCK_MODEL_ID: 'global.anthropic.claude-sonnet-4-20250514-v1:0' },
        bedrock,
      ),
    ).toHaveLength(1);
    expect(
      llmResidencyProblems({ AWS_REGION: 'eu-west-2', BEDROCK_MODEL_ID: 'eu.amazon.nova-pro-v1:0' }, bedrock),
    ).toEqual([
      expect.stringMatching(/^AWS_REGION: "eu-west-2" is not on the policy's llm.allowedRegions.bedrock/),
    ]);
    expect(
      llmResidencyProblems(
        { AWS_REGION: 'eu-central-1', BEDROCK_MODEL_ID: 'eu.anthropic.claude-3-7-sonnet-20250219-v1:0' },
        bedrock,
      ),
    ).toEqual([]);
    const vertex = parsePolicy(policyWith('vertex'));
    expect(llmResidencyProblems({ VERTEX_LOCATION: 'global' }, vertex)).toEqual([
      expect.stringMatching(/^VERTEX_LOCATION: "global" processes anywhere/),
    ]);
    expect(llmResidencyProblems({ VERTEX_LOCATION: 'us-central1' }, vertex)).toEqual([
      expect.stringMatching(/^VERTEX_LOCATION: "us-central1" is not an EU location/),
    ]);
    expect(llmResidencyProblems({ VERTEX_LOCATION: 'europe-west3' }, vertex)).toEqual([]);
    const openai = parsePolicy(policyWith('openai'));
    expect(llmResidencyProblems({ OPENAI_BASE_URL: 'https://api.openai.com/v1' }, openai)).toEqual([
      expect.stringMatching(/^OPENAI_BASE_URL: api.openai.com is not OpenAI's EU host/),
    ]);
    expect(llmResidencyProblems({ OPENAI_BASE_URL: 'https://eu.api.openai.com/v1' }, openai)).toEqual([]);
    expect(
      llmResidencyProblems(
        { AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com', AZURE_OPENAI_REGION: 'eastus' },
        policy,
      ),
    ).toEqual([
      expect.stringMatching(/^AZURE_OPENAI_REGION: "eastus" is not on the policy's allowedRegions/),
    ]);
  });

  it('checks the Vertex service-account key at start, and names the provider setting when no LLM is set', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadSettings(env);
        return [];
      } catch (err) {
        return (err as SettingsError).problems;
      }
    };
    expect(
      problems({
        DRAFTBRIDGE_SANDBOX: '1',
        VERTEX_MODEL: 'gemini-2.0-flash-001',
        GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/key.json',
      }),
    ).toEqual(['GOOGLE_APPLICATION_CREDENTIALS: cannot read the key file (ENOENT)']);
    expect(problems({ DRAFTBRIDGE_LLM: 'bedrock' })).toContain(
      'BEDROCK_MODEL_ID: an LLM is required (or LOCAL_LLM_BASE_URL) unless DRAFTBRIDGE_SANDBOX=1',
    );
    expect(problems({ DRAFTBRIDGE_SANDBOX: '1', AWS_REGION: 'Frankfurt' })).toEqual([
      'AWS_REGION: an AWS region like eu-central-1',
    ]);
  });

  it('reads inference-profile geographies from ids and ARNs', () => {
    expect(bedrockGeography('mistral.mistral-large-2402-v1:0')).toBe('in-region');
    expect(bedrockGeography('eu.meta.llama3-2-3b-instruct-v1:0')).toBe('eu');
    expect(bedrockGeography('apac.amazon.nova-lite-v1:0')).toBe('apac');
    expect(
      bedrockGeography(
        'arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0',
      ),
    ).toBe('eu');
  });

  it('keeps the flat allowedRegions list working (Azure) and takes per-provider lists', () => {
    expect(policy.llm.allowedRegions.azure).toContain('swedencentral');
    const perProvider = parsePolicy(
      policyWith('bedrock', '    azure: [swedencentral]\n    bedrock: [eu-central-1]\n'),
    );
    expect(perProvider.llm.allowedRegions).toEqual({ azure: ['swedencentral'], bedrock: ['eu-central-1'] });
    expect(llmResidencyProblems({ AWS_REGION: 'eu-west-1' }, perProvider)).toEqual([
      expect.stringMatching(/not on the policy's llm.allowedRegions.bedrock \(eu-central-1\)/),
    ]);
    expect(() => parsePolicy(policyWith('bedrock', '    aws: [eu-central-1]\n'))).toThrow(/aws/);
  });

  it("requires only the chosen providers' settings, outside the sandbox", () => {
    const bedrock = parsePolicy(policyWith('bedrock'));
    expect(llmSettingsProblems({}, bedrock)).toEqual([
      'AWS_REGION: is required because the eu LLM route uses bedrock',
      'BEDROCK_MODEL_ID: is required because the eu LLM route uses bedrock',
    ]);
    expect(llmSettingsProblems({ DRAFTBRIDGE_LLM: 'mistral' }, policy)).toEqual([
      'MISTRAL_API_KEY: is required because the eu LLM route uses mistral',
      'MISTRAL_MODEL: is required because the eu LLM route uses mistral',
    ]);
    expect(llmSettingsProblems({ DRAFTBRIDGE_LLM: 'mistral', DRAFTBRIDGE_SANDBOX: true }, policy)).toEqual(
      [],
    );
  });

  it('describes provider, region and residency per route, and the record of processing names them', () => {
    const routes = describeLlmRoutes(
      {
        DRAFTBRIDGE_LLM: 'bedrock',
        AWS_REGION: 'eu-central-1',
        BEDROCK_MODEL_ID: 'eu.anthropic.claude-3-7-sonnet-20250219-v1:0',
        LOCAL_LLM_BASE_URL: 'http://ollama.internal:11434/v1',
      },
      policy,
    );
    expect(routes).toEqual([
      {
        route: 'eu',
        provider: 'bedrock',
        region: 'eu-central-1',
        residency: expect.stringContaining('EU cross-region inference profile'),
      },
      {
        route: 'local',
        provider: 'local',
        region: null,
        residency: expect.stringContaining('ollama.internal:11434'),
      },
    ]);
    const ropa = recordOfProcessing(policy, {
      DRAFTBRIDGE_LLM: 'vertex',
      VERTEX_LOCATION: 'europe-west3',
    } as unknown as Settings);
    const callback = ropa.activities.find((a) => a.activity === 'callback')!;
    expect(callback.recipients.join('\n')).toMatch(/Google Vertex AI.*europe-west3/);
    expect(callback.llm).toMatchObject({ provider: 'vertex', region: 'europe-west3' });
  });
});

describe('draftbridge config check on the LLM settings', () => {
  it('exits 1 with one line per non-EU setting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbpolicy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, policyWith('bedrock'));
    const env = {
      PATH: process.env.PATH ?? '',
      DRAFTBRIDGE_SANDBOX: '1',
      DRAFTBRIDGE_POLICY: file,
      AWS_REGION: 'us-east-1',
      BEDROCK_MODEL_ID: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
      VERTEX_LOCATION: 'global',
      OPENAI_API_KEY: 'sk-x',
      OPENAI_BASE_URL: 'https://api.openai.com/v1',
    };
    const failure = await run(process.execPath, [cli, 'config', 'check'], { env }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(1);
    const lines = failure!.stderr.split('\n').filter((l) => l.trim().startsWith('- '));
    expect(lines.map((l) => l.trim().slice(2).split(':')[0])).toEqual([
      'AWS_REGION',
      'BEDROCK_MODEL_ID',
      'VERTEX_LOCATION',
      'OPENAI_BASE_URL',
    ]);
  });
});

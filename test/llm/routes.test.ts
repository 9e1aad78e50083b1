import { describe, expect, it } from 'vitest';
import { DraftingLlm } from '../../connectors/llm/connector.ts';
import { parsePolicy } from '../../src/policy.ts';
import { readFileSync } from 'node:fs';
import { testSettings } from '../support/env.ts';

const policyText = readFileSync(new URL('../../config/policy.yaml', import.meta.url), 'utf8');

describe('a provider per LLM route', () => {
  // The default policy's route lines with a provider added.
  const withRoutes = (eu?: string, local?: string) =>
    parsePolicy(
      policyText
        .replace(/^( {4}eu: \{ )/m, eu ? `$1provider: ${eu}, ` : '$1')
        .replace(/^( {4}local: \{ )/m, local ? `$1provider: ${local}, ` : '$1'),
    );
  const settings = testSettings({
    DRAFTBRIDGE_LLM: 'openai',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_MODEL: 'gpt-4.1-mini',
    MISTRAL_API_KEY: 'mk-test',
    MISTRAL_MODEL: 'mistral-small-latest',
    AWS_REGION: 'eu-central-1',
    BEDROCK_MODEL_ID: 'eu.anthropic.claude-3-7-sonnet-20250219-v1:0',
  });

  it('follows DRAFTBRIDGE_LLM for eu and keeps local local when the policy names none', async () => {
    const llm = await DraftingLlm.fromSettings(settings, withRoutes());
    expect(llm.describe()).toEqual([
      { route: 'eu', provider: 'openai', model: 'gpt-4.1-mini', region: 'eu' },
      { route: 'local', provider: 'local', model: 'unused', region: null },
    ]);
  });

  it("lets the policy's route provider win, for either route", async () => {
    const llm = await DraftingLlm.fromSettings(settings, withRoutes('bedrock', 'mistral'));
    expect(llm.describe().map((r) => [r.route, r.provider, r.region])).toEqual([
      ['eu', 'bedrock', 'eu-central-1'],
      ['local', 'mistral', 'eu'],
    ]);
  });
});

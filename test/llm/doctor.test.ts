import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBedrock, checkMistral, checkVertex } from '../../connectors/llm/doctor.ts';
import { startBedrockSimulator, type BedrockSimulator } from '../../sandbox/llm/bedrock/simulator.ts';
import { startMistralSimulator, type MistralSimulator } from '../../sandbox/llm/mistral/simulator.ts';
import { trustSimulatorCa } from '../../sandbox/tls.ts';
import { testSettings } from '../support/env.ts';

describe('doctor checks per LLM provider', () => {
  let bedrock: BedrockSimulator;
  let mistral: MistralSimulator;
  beforeAll(async () => {
    [bedrock, mistral] = await Promise.all([startBedrockSimulator(), startMistralSimulator()]);
    trustSimulatorCa(bedrock.tls.caPem);
  });
  afterAll(async () => {
    await Promise.all([bedrock.close(), mistral.close()]);
  });

  it('reports a reachable provider, refused credentials with the setting to change, and a missing configuration', async () => {
    // The AWS default chain starts with the environment.
    process.env.AWS_ACCESS_KEY_ID = bedrock.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = bedrock.secretAccessKey;
    const aws = testSettings({
      AWS_REGION: bedrock.region,
      BEDROCK_MODEL_ID: bedrock.models[0]!,
      BEDROCK_ENDPOINT_URL: bedrock.url,
    });
    expect(await checkBedrock(aws)).toMatchObject({
      name: 'AWS Bedrock',
      ok: true,
      detail: expect.stringContaining('in eu-central-1'),
    });
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong';
    expect(await checkBedrock(aws)).toMatchObject({
      ok: false,
      setting: 'AWS credentials (default chain)',
      detail: expect.stringContaining('403'),
    });
    expect(
      await checkMistral(
        testSettings({
          MISTRAL_API_KEY: mistral.apiKey,
          MISTRAL_MODEL: 'mistral-small-latest',
          MISTRAL_BASE_URL: mistral.url,
        }),
      ),
    ).toMatchObject({ ok: true });
    expect(
      await checkMistral(
        testSettings({
          MISTRAL_API_KEY: 'nope',
          MISTRAL_MODEL: 'mistral-small-latest',
          MISTRAL_BASE_URL: mistral.url,
        }),
      ),
    ).toMatchObject({ ok: false, setting: 'MISTRAL_API_KEY' });
    expect(await checkVertex(testSettings())).toEqual({
      name: 'Google Vertex AI',
      ok: false,
      detail: 'not configured',
      setting: 'VERTEX_MODEL',
    });
  });
});

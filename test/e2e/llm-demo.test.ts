import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, startSandboxService } from '../support/sandbox-service.ts';

const run = promisify(execFile);

/** `DRAFTBRIDGE_SANDBOX=1 DRAFTBRIDGE_LLM=<provider> npm start`, then `draftbridge demo`: the whole demo on each provider. */
const CASES = [
  ['bedrock', 'AWS Bedrock, eu-central-1'],
  ['vertex', 'Google Vertex AI, europe-west3'],
  ['openai', 'OpenAI (EU data residency), eu'],
  ['mistral', 'Mistral AI, eu'],
] as const;

describe.each(CASES)('the sandbox demo with DRAFTBRIDGE_LLM=%s', (provider, printed) => {
  it('drafts and prints the LLM route with the provider and region that drafted', async () => {
    const service = await startSandboxService({ DRAFTBRIDGE_LLM: provider }, `demo-${provider}`);
    try {
      const { stdout } = await run(
        process.execPath,
        [CLI, 'demo', '--url', service.url, '--contact', '1001', '--timeout', '30'],
        { env: service.env },
      );
      expect(stdout).toContain(`(LLM route eu: ${printed})`);
      expect(stdout).toContain('✓ draft in max.vertrieb@example.com / drafts');
      expect(stdout).toContain('| Sehr geehrte Frau Musterfrau,');
      expect(stdout).not.toContain('template');
    } finally {
      await service.stop();
    }
  }, 90_000);
});

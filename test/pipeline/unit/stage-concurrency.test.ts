import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../src/policy.ts';
import { stageConcurrency } from '../../../workers/index.ts';

const policy = parsePolicy(readFileSync(new URL('../../../config/policy.yaml', import.meta.url), 'utf8'));

describe('stage concurrency follows the CRM connector', () => {
  it('runs intake and crm-sync wide where calls are batched (HubSpot), so batches can fill', () => {
    const [intake, draft, deliver, crmSync] = stageConcurrency(policy, { batchesCalls: true });
    expect([intake, crmSync]).toEqual([32, 100]);
    expect(draft).toBe(policy.limits.llm.draftConcurrency);
    expect(deliver).toBe(policy.limits.graph.mailboxConcurrency);
  });

  it('stays at 8 and 16 where every call is its own request (Dataverse allows 52 concurrent per user)', () => {
    const [intake, , , crmSync] = stageConcurrency(policy, {});
    expect([intake, crmSync]).toEqual([8, 16]);
    expect(intake! + crmSync!).toBeLessThanOrEqual(52);
  });
});

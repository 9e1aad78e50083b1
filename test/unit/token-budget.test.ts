import { describe, expect, it } from 'vitest';
import { TokenBudget } from '../../connectors/llm/token-budget.ts';

// The clock is a parameter: no real time passes in these tests.
describe('LLM token budget (requests and tokens per minute)', () => {
  it('grants within both limits and says how long to wait when either is spent', () => {
    const budget = new TokenBudget(2, 1_000);
    expect(budget.reserve(400, 0)).toBe(0);
    expect(budget.reserve(400, 10_000)).toBe(0);
    // Third request in the minute: the oldest entry leaves the window at 60 s.
    expect(budget.reserve(100, 20_000)).toBe(40_000);
    // After the first left, one slot and 600 tokens are free again.
    expect(budget.reserve(100, 60_000)).toBe(0);
  });

  it('waits for tokens, not only for requests', () => {
    const budget = new TokenBudget(100, 1_000);
    expect(budget.reserve(900, 0)).toBe(0);
    expect(budget.reserve(200, 30_000)).toBe(30_000);
  });

  it('settles an estimate to the real usage, freeing the difference', () => {
    const budget = new TokenBudget(100, 1_000);
    expect(budget.reserve(900, 0)).toBe(0);
    budget.settle(900, 300);
    expect(budget.reserve(600, 1_000)).toBe(0);
    expect(budget.reserve(200, 2_000)).toBeGreaterThan(0);
  });

  it('never grants a request larger than the whole minute', () => {
    expect(new TokenBudget(10, 100).reserve(500, 0)).toBe(60_000);
  });
});

/**
 * Requests- and tokens-per-minute budget of one LLM route, matching the deployment's quota. A request
 * reserves its estimated tokens up front; the real usage is settled afterwards. When the minute is
 * spent, `reserve` says how long to wait instead of letting Azure answer 429.
 */
export class TokenBudget {
  private readonly rpm: number;
  private readonly tpm: number;
  private readonly entries: { at: number; tokens: number }[] = [];

  constructor(requestsPerMinute: number, tokensPerMinute: number) {
    this.rpm = requestsPerMinute;
    this.tpm = tokensPerMinute;
  }

  private prune(now: number): void {
    while (this.entries.length > 0 && now - this.entries[0]!.at >= 60_000) this.entries.shift();
  }

  /** Reserves `tokens`; returns 0 when granted, else the milliseconds until enough is free. */
  reserve(tokens: number, now = Date.now()): number {
    this.prune(now);
    const used = this.entries.reduce((s, e) => s + e.tokens, 0);
    if (this.entries.length < this.rpm && used + tokens <= this.tpm) {
      this.entries.push({ at: now, tokens });
      return 0;
    }
    // Wait until the oldest entries leave the window.
    let freed = 0;
    for (const e of this.entries) {
      freed += e.tokens;
      const requestsOk = this.entries.length - this.entries.indexOf(e) - 1 < this.rpm;
      if (requestsOk && used - freed + tokens <= this.tpm) return Math.max(1, 60_000 - (now - e.at));
    }
    return 60_000;
  }

  /** Replaces an estimate with the real usage of the request it reserved for. */
  settle(estimated: number, actual: number): void {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i]!.tokens === estimated) {
        this.entries[i]!.tokens = actual;
        return;
      }
    }
  }
}

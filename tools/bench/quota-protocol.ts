/**
 * Messages between the bench and its simulator process (IPC): set the vendors' limits, read what they
 * counted. Shapes as the simulators report them (the bench may not load simulator code itself).
 */
export type QuotaCommand =
  | {
      type: 'quota';
      llm?: { tokensPerMinute: number; requestsPerMinute?: number };
      llmLatencyMs?: number;
      hubspot?: { max: number; intervalMs: number };
    }
  | { type: 'report' };

export interface QuotaReport {
  type: 'report';
  /** Each request the deployment admitted (tokens as it counted them), its 429s and all calls. */
  llm: { admitted: { at: number; tokens: number }[]; throttled: number; calls: number };
  hubspot: { calls: number; throttled: number };
}

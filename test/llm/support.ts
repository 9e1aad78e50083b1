import type { LlmDraftRequest } from '../../src/ports.ts';
import { createLeakGuard } from '../../src/privacy/leak-guard.ts';

/** Quotas wide enough not to matter unless a case narrows them. */
export const budgets = {
  eu: { requestsPerMinute: 100, tokensPerMinute: 100_000, timeoutMs: 2_000 },
  local: { requestsPerMinute: 100, tokensPerMinute: 100_000, timeoutMs: 2_000 },
};

/** A pseudonymised German callback request, as the draft stage sends it. */
export function draftRequest(overrides: Partial<LlmDraftRequest> = {}): LlmDraftRequest {
  return {
    route: 'eu',
    system:
      'Du schreibst eine kurze E-Mail auf Deutsch (Sie-Form). Antworte als JSON mit subject, body und language ("de").',
    user: 'Beginne den Text (body) mit genau dieser Zeile: Sehr geehrte Frau [[PERSON_3]],\nBeende den Text mit genau diesen Zeilen:\nMit freundlichen Grüßen\n[[PERSON_5]]\nKontext:\n- Firma des Kontakts: [[COMPANY_1]]',
    language: 'de',
    requestId: 'req-llm-1',
    guard: createLeakGuard(['Erika Musterfrau', 'erika.musterfrau@example.com']),
    ...overrides,
  };
}

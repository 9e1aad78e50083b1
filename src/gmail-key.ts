import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * GMAIL_SERVICE_ACCOUNT_KEY: the service account's JSON key (the JSON itself or a path to the file),
 * with the fields the delegated JWT needs. Checked at start with the other settings, so a wrong path
 * or a truncated key stops the process with one clear message instead of failing the first draft.
 */
export const ServiceAccountKey = z.looseObject({
  type: z.literal('service_account'),
  client_email: z.email(),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().optional(),
  token_uri: z.url().optional(),
});
export type ServiceAccountKey = z.infer<typeof ServiceAccountKey>;

export function loadServiceAccountKey(value: string): ServiceAccountKey {
  const text = value.trimStart().startsWith('{') ? value : readFileSync(value, 'utf8');
  return ServiceAccountKey.parse(JSON.parse(text));
}

/** Why the key cannot be used (never quoting the key itself), or undefined when it is fine. */
export function serviceAccountKeyProblem(value: string): string | undefined {
  try {
    loadServiceAccountKey(value);
    return undefined;
  } catch (err) {
    if (err instanceof z.ZodError)
      return `not a service-account key (${err.issues.map((i) => i.path.join('.') || 'type').join(', ')} missing or invalid)`;
    if (err instanceof SyntaxError) return 'not valid JSON';
    return `cannot read the key file (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}

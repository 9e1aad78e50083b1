import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * JSON logs, one line per event. Bodies are never logged; as a second line of defence every field
 * that can carry a secret or a personal value is censored wherever it appears.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hubspot-signature"]',
  'req.headers["x-hubspot-signature-v3"]',
  'req.headers["x-draftbridge-workflow-secret"]',
  'req.headers["api-key"]',
  'body',
  'req.body',
  '*.body',
  'data',
  '*.data',
  'properties',
  '*.properties',
  'contact',
  '*.contact',
  'email',
  '*.email',
  'firstname',
  '*.firstname',
  'lastname',
  '*.lastname',
  // Not `*.name`: that censored every error's name (TypeError, UpstreamUnavailable) too, and the
  // redaction cannot tell the parents apart. The objects that carry a person's name, by name:
  'owner.name',
  '*.owner.name',
  'recipient.name',
  '*.recipient.name',
  'person.name',
  '*.person.name',
  'from.name',
  '*.from.name',
  'sender.name',
  '*.sender.name',
  'firstName',
  '*.firstName',
  'lastName',
  '*.lastName',
  'phone',
  '*.phone',
  'text',
  '*.text',
  'subject',
  '*.subject',
  'to',
  '*.to',
  'values',
  '*.values',
  'accessToken',
  '*.accessToken',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'password',
  '*.password',
];

export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name ?? 'draftbridge',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export type { Logger };

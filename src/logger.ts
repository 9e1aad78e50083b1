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
  // Not the top-level `name`: that is the logger's own name on every line.
  '*.name',
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

export function createLogger(options: { level?: string; name?: string } = {}, destination?: DestinationStream): Logger {
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

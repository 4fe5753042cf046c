import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * One JSON logger per process. Logs carry ids (user, patient, request), never names,
 * diagnoses or secrets: the redaction list is a second lock for the fields that must never leak.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'accessToken',
        '*.accessToken',
        'authorization',
        '*.authorization',
        'req.headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}

import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs. Every request logger is a child carrying the correlation id. */
export const createLogger = (level: string, name = 'mesh'): Logger =>
  pino({
    name,
    level,
    redact: {
      paths: ['*.password', '*.accessToken', '*.refreshToken', '*.clientSecret', 'req.headers.authorization', '*.authorization'],
      censor: '[redacted]',
    },
  });

/** pino options: structured request logs, with every secret-bearing path redacted. */
import { pino, type Logger } from 'pino';

const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body.client_secret',
  'req.body.client_assertion',
  'req.body.subject_token',
  'req.body.actor_token',
  'req.body.refresh_token',
  'req.body.token',
  'body.client_secret',
  'client_secret',
  'access_token',
  'id_token',
  'refresh_token',
];

export function loggerOptions(level: string) {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req(req: { id: string; method: string; url: string; ip?: string; headers: Record<string, unknown> }) {
        return {
          id: req.id,
          method: req.method,
          // Query strings can carry tokens: log the path only.
          url: req.url.split('?')[0],
          ip: req.ip,
          userAgent: req.headers['user-agent'],
        };
      },
    },
  };
}

/** The logger of what happens outside a request (Redis connections, shutdown), with the same options. */
export function processLogger(level: string): Logger {
  return pino(loggerOptions(level));
}

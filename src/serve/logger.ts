import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

// Fields that hold credentials, wherever they sit in a log line: the CRI
// AuthConfig (password, auth, identity_token, registry_token), docker
// config.json entries, HTTP Authorization headers and the control token.
// Nothing should log them in the first place (requests are logged as
// summaries); this is the net under that rule.
const SECRET_KEYS = ['password', 'auth', 'identity_token', 'identitytoken', 'identityToken', 'registry_token', 'registryToken', 'token', 'authorization', 'Authorization'];

function redactPaths(depth: number): string[] {
  const paths: string[] = [];
  for (let d = 0; d <= depth; d++) {
    const prefix = '*.'.repeat(d);
    for (const key of SECRET_KEYS) paths.push(`${prefix}${key}`);
  }
  return paths;
}

export const REDACTED = '[redacted]';

export const LOG_REDACT: LoggerOptions['redact'] = { paths: redactPaths(4), censor: REDACTED };

// fakecri's logger: pino JSON, its level, and the redaction above.
export function createLogger(level: string, destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ level, base: { name: 'fakecri' }, redact: LOG_REDACT }, destination);
}

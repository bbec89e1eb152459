import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { createLogger } from '../serve/logger';

// A logger writing to memory, so that tests read what fakecri logs at every
// level. redact: false (the default) leaves out fakecri's redaction, so a
// test sees whether fakecri handed a secret to its logger at all; true is
// the logger `fakecri serve` runs with.
export function captureLog(level = 'trace', opts: { redact?: boolean } = {}): { log: Logger; text(): string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const log = opts.redact ? createLogger(level, sink) : pino({ level }, sink);
  return { log, text: () => chunks.join('') };
}

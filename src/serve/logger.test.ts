import { describe, expect, it } from 'vitest';
import { captureLog } from '../test/log-capture';

// Issue 13, defect 10: the net under "never log a secret".
describe('the log', () => {
  it('redacts credentials wherever they sit', () => {
    const { log, text } = captureLog('trace', { redact: true });
    const auth = { username: 'u', password: 'pw-1', auth: 'YXV0aC0x', identity_token: 'it-1', registry_token: 'rt-1' };
    log.error({ request: { image: 'x', auth }, a: { b: { c: { password: 'pw-2', token: 'tok-2' } } }, headers: { authorization: 'Bearer tok-3' } }, 'm');
    log.trace({ config: { control: { token: 'tok-4' } } }, 'n');
    const out = text();
    for (const s of ['pw-1', 'YXV0aC0x', 'it-1', 'rt-1', 'pw-2', 'tok-2', 'tok-3', 'tok-4']) expect(out).not.toContain(s);
    expect(out).toContain('"image":"x"');
    expect(out).toContain('[redacted]');
  });

  it('redacts inside an error and in list items, and keeps the error an error', () => {
    const { log, text } = captureLog('trace', { redact: true });
    const err = Object.assign(new Error('pull failed'), { request: { auth: { password: 'pw-5' } } });
    log.error({ err, registries: [{ host: 'r', token: 'tok-6' }] }, 'm');
    const out = text();
    for (const s of ['pw-5', 'tok-6']) expect(out).not.toContain(s);
    expect(out).toContain('"message":"pull failed"');
    expect(out).toContain('"type":"Error"');
    expect(out).toContain('"host":"r"');
  });
});

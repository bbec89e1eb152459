import { describe, expect, it } from 'vitest';
import { MAX_IN_FLIGHT, StreamRequests, TOKEN_TTL_MS } from './requests';

const exec = { kind: 'exec' as const, containerId: 'c', cmd: ['true'], stdin: false, stdout: true, stderr: true, tty: false };

describe('streaming request tokens', () => {
  it('are good once, and not after a minute', () => {
    let now = 1_000_000;
    const r = new StreamRequests(() => now);
    const a = r.insert(exec);
    const b = r.insert(exec);
    expect(a).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(a).not.toBe(b);
    expect(r.consume(a)).toEqual(exec);
    expect(r.consume(a)).toBeUndefined();
    expect(r.consume('AAAAAAAA')).toBeUndefined();
    now += TOKEN_TTL_MS + 1;
    expect(r.consume(b)).toBeUndefined();
  });

  it(`hold at most ${MAX_IN_FLIGHT} waiting, and expired ones make room`, () => {
    let now = 0;
    const r = new StreamRequests(() => now);
    for (let i = 0; i < MAX_IN_FLIGHT; i++) r.insert(exec);
    expect(() => r.insert(exec)).toThrow(/maximum number of in-flight requests exceeded/);
    now += TOKEN_TTL_MS + 1;
    expect(r.size).toBe(0);
    expect(r.insert(exec)).toHaveLength(8);
  });
});

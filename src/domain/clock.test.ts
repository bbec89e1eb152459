import { describe, expect, it } from 'vitest';
import { nowNanos } from './clock';

describe('nowNanos', () => {
  it('is never behind Date.now(): a program timed by Date.now() does not end before its time', () => {
    const behind: bigint[] = [];
    const until = Date.now() + 20;
    for (let last = 0n; Date.now() < until; ) {
      const wall = BigInt(Date.now()) * 1_000_000n;
      const ns = BigInt(nowNanos());
      if (ns < wall) behind.push(wall - ns);
      expect(ns).toBeGreaterThan(last);
      last = ns;
    }
    expect(behind).toEqual([]);
  });
});

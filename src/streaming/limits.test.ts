import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ByteBudget, CappedWritable, StreamBytesExceeded, cappedTransform } from './limits';

describe('stream byte limits', () => {
  it('a budget lets through up to its limit, cuts the chunk that crosses it, and tells once', () => {
    const told: StreamBytesExceeded[] = [];
    const b = new ByteBudget('stdout', 10, (e) => told.push(e));
    expect(b.take(Buffer.from('abcd')).toString()).toBe('abcd');
    expect(b.take(Buffer.from('efghij')).toString()).toBe('efghij');
    expect(told).toEqual([]);
    expect(b.take(Buffer.from('k')).byteLength).toBe(0);
    expect(b.take(Buffer.from('lmn')).byteLength).toBe(0);
    expect(told).toHaveLength(1);
    expect(told[0].message).toBe('the stdout stream reached streaming.max_stream_bytes (10 bytes)');
    expect(b.exceeded).toBe(true);

    const c = new ByteBudget('data', 5, () => {});
    expect(c.take(Buffer.from('0123456789')).toString()).toBe('01234');
  });

  it('a capped writable passes its budget on and ends what it wraps', async () => {
    const inner = new PassThrough();
    const got: Buffer[] = [];
    inner.on('data', (d: Buffer) => got.push(d));
    let over = 0;
    const w = new CappedWritable(inner, new ByteBudget('stdout', 6, () => over++));
    w.write('abc');
    w.write('defgh');
    w.write('ij');
    const ended = new Promise((r) => inner.on('end', r));
    w.end();
    await ended;
    expect(Buffer.concat(got).toString()).toBe('abcdef');
    expect(over).toBe(1);
  });

  it('a capped transform shares its budget between both ways of a connection', async () => {
    const b = new ByteBudget('data', 4, () => {});
    const up = cappedTransform(b);
    const down = cappedTransform(b);
    up.end('abc');
    down.end('defg');
    const read = async (t: NodeJS.ReadableStream) => {
      const parts: Buffer[] = [];
      for await (const p of t) parts.push(p as Buffer);
      return Buffer.concat(parts).toString();
    };
    expect((await read(up)) + (await read(down))).toBe('abcd');
  });
});

import { describe, expect, it } from 'vitest';
import { BLOCK, Content } from './content';
import { randomFill } from './fill';
import { type Chunk, type Fill, isFill } from './types';

const MiB = 2 ** 20;
const random = (length: number, offset: number, seed = 7): Fill => ({ fill: 'random', length, seed, offset });
const bytesOf = (c: Chunk | null): Uint8Array => {
  if (!c) return new Uint8Array(0);
  if (!isFill(c)) return c;
  const out = new Uint8Array(c.length);
  if (c.fill === 'random') randomFill(out, c.seed, c.offset);
  return out;
};

describe('Content', () => {
  it('keeps a file written from a random stream in order as one Fill, whatever its size', () => {
    const c = new Content();
    for (let i = 0; i < 1024; i++) c.write(i * MiB, random(MiB, i * MiB));
    expect(c.size).toBe(1024 * MiB);
    expect(c.blocks).toBe((1024 * MiB) / BLOCK);
    expect(c.chunks()).toHaveLength(1);
    expect(c.heldBytes).toBe(0);
    const middle = c.read(500 * MiB + 3, 10);
    expect(middle).toEqual(random(10, 500 * MiB + 3));
  });

  it('reads the right bytes across bytes, fills and holes', () => {
    const c = new Content();
    c.write(0, new Uint8Array([1, 2, 3]));
    c.write(10, random(6, 100));
    c.write(20, { fill: 'zero', length: 4, seed: 0, offset: 0 });
    const all = bytesOf(c.read(0, 100));
    expect(all.length).toBe(24);
    const expected = new Uint8Array(24);
    expected.set([1, 2, 3]);
    randomFill(expected.subarray(10, 16), 7, 100);
    expect([...all]).toEqual([...expected]);
    expect(c.read(24, 10)).toBeNull();
    expect(c.read(4, 3)).toEqual({ fill: 'zero', length: 3, seed: 0, offset: 0 });
  });

  it('overwrites in the middle of an extent and keeps both ends', () => {
    const c = new Content();
    c.write(0, random(100, 0));
    c.write(40, new Uint8Array([9, 9]));
    const got = bytesOf(c.read(0, 100));
    const want = bytesOf(random(100, 0));
    want.set([9, 9], 40);
    expect([...got]).toEqual([...want]);
    expect(c.chunks()).toHaveLength(3);
  });

  it('grows small appends in place instead of piling up extents', () => {
    const c = new Content();
    for (let i = 0; i < 1000; i++) c.write(i * 3, new TextEncoder().encode(`${i % 10}x\n`));
    expect(c.chunks()).toHaveLength(1);
    expect(new TextDecoder().decode(bytesOf(c.read(2994, 6)))).toBe('8x\n9x\n');
  });

  it('does not let an appended piece grow into the bytes of its split neighbour', () => {
    const c = new Content();
    c.write(0, new Uint8Array(100).fill(1));
    c.write(50, random(10, 0)); // splits the bytes around it
    c.truncate(50);
    c.write(50, new Uint8Array([2, 2]));
    c.write(60, new Uint8Array([3]));
    const got = bytesOf(c.read(0, 61));
    expect(got[49]).toBe(1);
    expect([got[50], got[51], got[52], got[60]]).toEqual([2, 2, 0, 3]);
  });

  it('counts blocks as du does: holes free, partial blocks whole, truncation frees', () => {
    const c = new Content();
    c.write(0, new Uint8Array(1));
    expect(c.blocks).toBe(1);
    c.write(10 * BLOCK, new Uint8Array(BLOCK + 1));
    expect(c.blocks).toBe(3);
    expect(c.growth(0, 3 * BLOCK)).toBe(2);
    expect(c.truncate(5)).toBe(2);
    expect(c.blocks).toBe(1);
    expect(c.truncate(100 * BLOCK)).toBe(0);
    expect(c.blocks).toBe(1);
    expect(c.size).toBe(100 * BLOCK);
  });

  it('allocates holes without changing what reads give', () => {
    const c = new Content();
    c.write(BLOCK, new Uint8Array([5]));
    c.allocate(0, 3 * BLOCK);
    expect(c.blocks).toBe(3);
    expect(c.size).toBe(3 * BLOCK);
    const got = bytesOf(c.read(0, 3 * BLOCK));
    expect(got[BLOCK]).toBe(5);
    expect(got.reduce((a, b) => a + b, 0)).toBe(5);
  });
});

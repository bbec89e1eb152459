import { randomFill } from '../rootfs/fill';
import { type Chunk, isFill } from '../rootfs/types';
import type { InStream, OutStream } from './types';

export function chunkBuffer(c: Chunk): Buffer {
  if (!isFill(c)) return Buffer.from(c.buffer, c.byteOffset, c.byteLength);
  const b = Buffer.alloc(c.length);
  if (c.fill === 'random') randomFill(b, c.seed, c.offset);
  return b;
}

// Output kept in memory, up to `limit` bytes (more is counted, not kept):
// ExecSync's stdout and stderr, $(…).
export class Collector implements OutStream {
  private readonly parts: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly limit = Number.MAX_SAFE_INTEGER) {}

  async write(data: Chunk | string): Promise<void> {
    const b = typeof data === 'string' ? Buffer.from(data) : chunkBuffer(data);
    this.total += b.byteLength;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    const part = b.byteLength > room ? b.subarray(0, room) : b;
    this.parts.push(part);
    this.kept += part.byteLength;
  }

  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }

  text(): string {
    return this.buffer().toString('utf8');
  }
}

// Discards what is written: /dev/null, or output nobody wants.
export const nullOut: OutStream = { write: async () => {} };

// No input at all: reads give end of input at once.
export const emptyIn: InStream = { read: async () => null };

// Input from fixed bytes (a here-document, `<<<`, a test).
export function bytesIn(data: string | Uint8Array): InStream {
  let rest: Buffer | undefined = Buffer.from(data);
  return {
    read: async (max) => {
      if (!rest || rest.byteLength === 0) return null;
      const n = Math.min(max ?? rest.byteLength, rest.byteLength);
      const out = rest.subarray(0, n);
      rest = rest.subarray(n);
      return out;
    },
  };
}

// Reads all of a stream (bounded by `limit`; more is an error for the caller).
export async function readAll(input: InStream, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for (let c = await input.read(); c !== null; c = await input.read()) {
    const b = chunkBuffer(c);
    n += b.byteLength;
    if (n > limit) throw new RangeError(`input over ${limit} bytes`);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

// Splits a stream into lines (without their "\n"); the last line may lack one.
export async function* lines(input: InStream): AsyncGenerator<string> {
  let carry = '';
  for (let c = await input.read(); c !== null; c = await input.read()) {
    const text = carry + chunkBuffer(c).toString('utf8');
    const parts = text.split('\n');
    carry = parts.pop()!;
    for (const p of parts) yield p;
  }
  if (carry) yield carry;
}

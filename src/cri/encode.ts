import * as protobuf from 'protobufjs';
import { PROTO_FILE } from './proto';

// Pre-encoded List* responses. Encoding 10,000 containers through
// proto-loader's object conversion takes hundreds of milliseconds; here each
// item is encoded once and kept while its record is unchanged (stores replace
// a record object on every change, so a WeakMap keyed by it never goes stale),
// and a list is the concatenation of the cached items.
const root = new protobuf.Root().loadSync(PROTO_FILE, { keepCase: true });

export type Encoded = Buffer;

export class ItemEncoder<R extends object> {
  private readonly type: protobuf.Type;
  private readonly cache = new WeakMap<R, Uint8Array>();

  constructor(typeName: string, private readonly toMessage: (record: R) => object) {
    this.type = root.lookupType(typeName);
  }

  encode(record: R): Uint8Array {
    let bytes = this.cache.get(record);
    if (!bytes) {
      bytes = this.type.encode(this.type.fromObject(this.toMessage(record))).finish();
      this.cache.set(record, bytes);
    }
    return bytes;
  }
}

// Encodes messages that change on every call (stats), so nothing is cached.
export class MessageEncoder<M extends object> {
  private readonly type: protobuf.Type;

  constructor(typeName: string) {
    this.type = root.lookupType(typeName);
  }

  encode(message: M): Uint8Array {
    return this.type.encode(this.type.fromObject(message)).finish();
  }
}

// Encodes items as they are taken.
export function* encodeEach<M extends object>(encoder: MessageEncoder<M>, items: Iterable<M>): Generator<Uint8Array> {
  for (const item of items) yield encoder.encode(item);
}

// The answer to an unfiltered List (or the records it is built from), kept
// while its store has not changed since: the kubelet relists every second,
// and on a node at rest nothing changes between two relists.
export class WholeListCache<T = Encoded> {
  private readonly cache = new WeakMap<object, { generation: number; bytes: T }>();

  get(store: { generation: number }, build: () => T): T {
    const hit = this.cache.get(store);
    if (hit && hit.generation === store.generation) return hit.bytes;
    const generation = store.generation;
    const bytes = build();
    this.cache.set(store, { generation, bytes });
    return bytes;
  }
}

// Answers gRPC has taken: grpc-js copies an answer into a frame of its own
// as it serializes it (its serializeMessage), and keeps nothing of it, so
// that the memory of an answer seen here may be written again (the stats
// lists', see stats-answer.ts). One it has not taken (a call cancelled
// first) is never reused.
const sent = new WeakSet<Uint8Array>();

export const markSent = (answer: Uint8Array): void => void sent.add(answer);
export const wasSent = (answer: Uint8Array): boolean => sent.has(answer);

// Each item as an entry of repeated field `field` (its tag, length and
// bytes): what a Stream* answer is the concatenation of.
export function* entries(field: number, items: Iterable<Uint8Array>): Generator<Uint8Array> {
  for (const item of items) yield new Wire(item.length + 6).bytes(field, item).finish();
}

// A message whose only content is repeated field `field` holding `items`.
export function encodeRepeated(field: number, items: Iterable<Uint8Array>): Encoded {
  if (!Array.isArray(items)) items = [...items];
  const tagSize = varintSize(field * 8 + 2);
  let size = 0;
  for (const item of items) size += tagSize + varintSize(item.length) + item.length;
  const w = new Wire(size);
  for (const item of items) w.bytes(field, item);
  return w.finish();
}

// A protobuf writer for answers built per call from cached pieces (the
// stats lists): one growing buffer, no object per field. A nested message
// reserves room for its length as it opens, as much as the caller expects
// its body to need; end() writes the length there, and slides the body only
// when the guess was wrong.
export class Wire {
  private buf: Buffer;
  private pos = 0;
  // Room reserved for the length of each message still open.
  private readonly reserved: number[] = [];

  // `memory`: where to write, if it holds sizeHint bytes.
  constructor(sizeHint = 4096, memory?: Buffer) {
    this.buf = memory && memory.length >= sizeHint ? memory : Buffer.allocUnsafe(Math.max(64, sizeHint));
  }

  // What it writes into (finish() is the part written).
  get memory(): Buffer {
    return this.buf;
  }

  // The bytes written so far.
  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  // Forgets what was written past `n` bytes.
  truncate(n: number): void {
    this.pos = Math.min(this.pos, n);
  }

  // Room for `n` bytes written later (by a copy); where it starts.
  skip(n: number): number {
    this.room(n);
    this.pos += n;
    return this.pos - n;
  }

  // A non-negative integer: a number up to 2^53, or a bigint up to 2^64.
  varint(v: number | bigint): this {
    this.room(10);
    if (typeof v === 'bigint') {
      if (v <= MAX_SAFE) return this.varint(Number(v));
      while (v > 0x7fn) {
        this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      this.buf[this.pos++] = Number(v);
      return this;
    }
    while (v > 0x7f) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  tag(field: number, wireType: 0 | 2): this {
    return this.varint(field * 8 + wireType);
  }

  raw(bytes: Uint8Array): this {
    const n = bytes.length;
    this.room(n);
    // A loop beats set() for the many short pieces.
    if (n < 48) for (let i = 0; i < n; i++) this.buf[this.pos + i] = bytes[i];
    else this.buf.set(bytes, this.pos);
    this.pos += n;
    return this;
  }

  // A length-delimited field holding `bytes` (an encoded message, a string).
  bytes(field: number, bytes: Uint8Array): this {
    return this.tag(field, 2).varint(bytes.length).raw(bytes);
  }

  // A google.protobuf-style wrapper message ({ value = 1 }) holding `v`,
  // written whole: the stats lists write 100,000 of them per call.
  uint64Value(field: number, v: number | bigint): this {
    this.tag(field, 2);
    if (v === 0 || v === 0n) return this.varint(0);
    if (typeof v === 'bigint' && v > MAX_SAFE) {
      this.open();
      this.tag(1, 0).varint(v);
      return this.end();
    }
    const n = Number(v);
    this.room(12);
    this.buf[this.pos++] = varintSize(n) + 1;
    this.buf[this.pos++] = 0x08;
    return this.varint(n);
  }

  // The tag and length of a nested message whose size is known.
  header(field: number, length: number): this {
    return this.tag(field, 2).varint(length);
  }

  // Opens a nested message, field `field` of the one being written (or
  // none: the tag is written already); `expect` is about the size of its
  // body. end() closes the last one opened.
  open(field?: number, expect = 127): this {
    if (field !== undefined) this.tag(field, 2);
    const r = varintSize(expect);
    this.room(r);
    this.pos += r;
    this.reserved.push(this.pos, r);
    return this;
  }

  end(): this {
    const r = this.reserved.pop()!;
    const start = this.reserved.pop()!;
    const body = this.pos - start;
    const need = varintSize(body);
    if (need !== r) {
      this.room(need - r);
      this.buf.copyWithin(start + need - r, start, this.pos);
      this.pos += need - r;
    }
    let at = start - r;
    let v = body;
    for (let i = 1; i < need; i++) {
      this.buf[at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[at] = v;
    return this;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// The encoded size of a varint (a non-negative integer number).
export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  let n = 1;
  while (v > 0x7f) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

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

// A message whose only content is repeated field `field` holding `items`.
export function encodeRepeated(field: number, items: Iterable<Uint8Array>): Encoded {
  const w = protobuf.Writer.create();
  for (const item of items) w.uint32((field << 3) | 2).bytes(item);
  const out = w.finish();
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

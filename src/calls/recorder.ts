import { EventEmitter } from 'node:events';

// The recent CRI calls, so that a test can assert what the kubelet sent:
// a bounded ring, and a feed for followers.
export interface CallRecord {
  seq: number;
  time: string; // ISO
  method: string;
  // A short summary of the request: the ids and names it carries.
  request: Record<string, string>;
  code: string; // gRPC code name
  error?: string;
  ms: number;
  faults?: string[];
  // A Stream* list: how many items it sent before it ended.
  items?: number;
}

// A call as the ring keeps it: the time as a number, made into its ISO
// text only when someone reads it (the ring holds 10,000 calls; a Date's
// text is 40 bytes more per call than its number). JSON.stringify and
// readers see a CallRecord.
class Recorded implements CallRecord {
  constructor(
    readonly seq: number,
    readonly at: number,
    readonly method: string,
    readonly request: Record<string, string>,
    readonly code: string,
    readonly error: string | undefined,
    readonly ms: number,
    readonly faults: string[] | undefined,
    readonly items: number | undefined,
  ) {}

  get time(): string {
    return new Date(this.at).toISOString();
  }

  toJSON(): CallRecord {
    return { seq: this.seq, time: this.time, method: this.method, request: this.request, code: this.code, error: this.error, ms: this.ms, faults: this.faults, items: this.items };
  }
}

export class CallRecorder {
  private readonly ring: (Recorded | undefined)[];
  private next = 1;
  private readonly feed = new EventEmitter();

  constructor(readonly capacity = 10_000) {
    this.ring = new Array(capacity);
    this.feed.setMaxListeners(0);
  }

  record(call: Omit<CallRecord, 'seq' | 'time'>): void {
    const rec = new Recorded(this.next++, Date.now(), call.method, call.request, call.code, call.error, call.ms, call.faults, call.items);
    this.ring[rec.seq % this.capacity] = rec;
    if (this.feed.listenerCount('call')) this.feed.emit('call', rec);
  }

  // Calls after `since` (a seq), oldest first, optionally of some methods.
  list(options: { since?: number; methods?: string[]; limit?: number } = {}): CallRecord[] {
    const first = Math.max(options.since ?? 0, this.next - this.capacity - 1) + 1;
    const out: CallRecord[] = [];
    for (let seq = first; seq < this.next; seq++) {
      const rec = this.ring[seq % this.capacity];
      if (!rec || rec.seq !== seq) continue;
      if (options.methods?.length && !options.methods.includes(rec.method)) continue;
      out.push(rec.toJSON());
    }
    return options.limit ? out.slice(-options.limit) : out;
  }

  clear(): number {
    const n = this.list().length;
    this.ring.fill(undefined);
    return n;
  }

  follow(listener: (rec: CallRecord) => void): () => void {
    this.feed.on('call', listener);
    return () => this.feed.off('call', listener);
  }
}

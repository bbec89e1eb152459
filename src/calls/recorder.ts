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

export class CallRecorder {
  private readonly ring: (CallRecord | undefined)[];
  private next = 1;
  private readonly feed = new EventEmitter();

  constructor(readonly capacity = 10_000) {
    this.ring = new Array(capacity);
    this.feed.setMaxListeners(0);
  }

  record(call: Omit<CallRecord, 'seq' | 'time'>): void {
    // One literal with every field: a spread would put the fields past the
    // object's first few in a second, separately allocated array, which the
    // ring holds for each of its 10,000 calls.
    const rec: CallRecord = {
      seq: this.next++,
      time: new Date().toISOString(),
      method: call.method,
      request: call.request,
      code: call.code,
      error: call.error,
      ms: call.ms,
      faults: call.faults,
      items: call.items,
    };
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
      out.push(rec);
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

import { randomBytes } from 'node:crypto';
import { resourceExhausted } from '../domain/errors';

// The streaming requests the CRI has handed out URLs for, as the kubelet's
// streaming server keeps them (request_cache.go): a random token each,
// used once, good for a minute; at most 1,000 waiting.

export type StreamRequest =
  | { kind: 'exec'; containerId: string; cmd: string[]; stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }
  | { kind: 'attach'; containerId: string; stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }
  | { kind: 'portforward'; sandboxId: string; ports: number[] };

export const TOKEN_TTL_MS = 60_000;
export const MAX_IN_FLIGHT = 1000;
const TOKEN_LEN = 8;

interface Entry {
  req: StreamRequest;
  expires: number;
}

export class StreamRequests {
  // Insertion order is expiry order: the oldest are first.
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ttlMs = TOKEN_TTL_MS,
  ) {}

  insert(req: StreamRequest): string {
    this.gc();
    if (this.entries.size >= MAX_IN_FLIGHT) throw resourceExhausted('maximum number of in-flight requests exceeded');
    for (;;) {
      const token = randomBytes(6).toString('base64url').slice(0, TOKEN_LEN);
      if (this.entries.has(token)) continue;
      this.entries.set(token, { req, expires: this.now() + this.ttlMs });
      return token;
    }
  }

  // The request of a token, once: undefined for an unknown, used or
  // expired one.
  consume(token: string): StreamRequest | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    this.entries.delete(token);
    return this.now() > e.expires ? undefined : e.req;
  }

  get size(): number {
    this.gc();
    return this.entries.size;
  }

  private gc(): void {
    const now = this.now();
    for (const [token, e] of this.entries) {
      if (e.expires >= now) return;
      this.entries.delete(token);
    }
  }
}

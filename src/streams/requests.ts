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
const TOKEN_BYTES = 6; // 8 characters of base64url

// Random bytes drawn a few KiB at a time, not a randomBytes call (~8 µs)
// per token.
let pool = Buffer.alloc(0);
let poolAt = 0;
function randomToken(): string {
  if (poolAt + TOKEN_BYTES > pool.length) {
    pool = randomBytes(TOKEN_BYTES * 512);
    poolAt = 0;
  }
  const token = pool.toString('base64url', poolAt, poolAt + TOKEN_BYTES);
  poolAt += TOKEN_BYTES;
  return token;
}

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
      const token = randomToken();
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

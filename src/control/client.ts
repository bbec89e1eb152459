import { type IncomingMessage, request } from 'node:http';

// The control API's client, for `fakecri ctl` and tests: a unix socket, or a
// loopback URL with a bearer token.
export interface ControlTarget {
  socket?: string;
  url?: string;
  token?: string;
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export class ControlClient {
  constructor(private readonly target: ControlTarget) {}

  private open(method: string, path: string, body?: unknown): Promise<IncomingMessage> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = {};
    if (text !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(text);
    }
    if (this.target.token) headers.authorization = `Bearer ${this.target.token}`;
    const where = this.target.url ? new URL(path, this.target.url) : undefined;
    return new Promise((resolve, reject) => {
      const req = request(
        where
          ? { host: where.hostname, port: where.port, path: where.pathname + where.search, method, headers }
          : { socketPath: this.target.socket, path, method, headers },
        resolve,
      );
      req.on('error', (err) => reject(new ControlError(0, `cannot reach fakecri's control API at ${this.target.url ?? this.target.socket}: ${err.message}`)));
      req.end(text);
    });
  }

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.open(method, path, body);
    let text = '';
    for await (const chunk of res) text += chunk;
    const parsed = text ? JSON.parse(text) : undefined;
    if ((res.statusCode ?? 500) >= 400) throw new ControlError(res.statusCode ?? 500, parsed?.error ?? text, parsed?.field);
    return parsed as T;
  }

  // A plain-text answer, such as /metrics.
  async text(path: string): Promise<string> {
    const res = await this.open('GET', path);
    let text = '';
    for await (const chunk of res) text += chunk;
    if ((res.statusCode ?? 500) >= 400) throw new ControlError(res.statusCode ?? 500, JSON.parse(text).error);
    return text;
  }

  // NDJSON lines until the connection closes or `signal` aborts.
  async follow(path: string, onItem: (item: unknown) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.open('GET', path);
    if ((res.statusCode ?? 500) >= 400) {
      let text = '';
      for await (const chunk of res) text += chunk;
      throw new ControlError(res.statusCode ?? 500, JSON.parse(text).error);
    }
    signal?.addEventListener('abort', () => res.destroy(), { once: true });
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line) onItem(JSON.parse(line));
        }
      }
    } catch (err) {
      if (!signal?.aborted) throw err;
    }
  }
}

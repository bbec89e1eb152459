import { nowNanos } from '../../domain/clock';
import { type LogStream, appendLog, formatLogLine } from '../../logs/cri-log';
import { chunkBuffer } from '../procs/streams';
import type { OutStream } from '../procs/types';
import type { Chunk } from '../rootfs/types';

// containerd splits longer lines into partial (P) entries of this size.
const MAX_LINE = 16 * 1024;

// The container's stdout or stderr as containerd's shim writes them: one CRI
// log entry per line, the timestamp when the line was written. A last line
// without its newline is written whole when the program ends (end()).
export class LogOut implements OutStream {
  private pending = '';

  constructor(
    private readonly path: () => string,
    private readonly stream: LogStream,
    private readonly onError: (err: Error) => void,
  ) {}

  async write(data: Chunk | string): Promise<void> {
    const text = this.pending + (typeof data === 'string' ? data : chunkBuffer(data).toString('utf8'));
    const lines = text.split('\n');
    this.pending = lines.pop()!;
    let out = '';
    const now = nowNanos();
    for (const line of lines) out += this.entries(now, line);
    while (this.pending.length > MAX_LINE) {
      out += formatLogLine(now, this.stream, this.pending.slice(0, MAX_LINE), true);
      this.pending = this.pending.slice(MAX_LINE);
    }
    if (out) this.append(out);
  }

  end(): void {
    if (!this.pending) return;
    const rest = this.pending;
    this.pending = '';
    this.append(formatLogLine(nowNanos(), this.stream, rest));
  }

  private entries(now: string, line: string): string {
    let out = '';
    for (; line.length > MAX_LINE; line = line.slice(MAX_LINE)) out += formatLogLine(now, this.stream, line.slice(0, MAX_LINE), true);
    return out + formatLogLine(now, this.stream, line);
  }

  private append(entries: string): void {
    const path = this.path();
    if (!path) return;
    try {
      appendLog(path, entries);
    } catch (err) {
      this.onError(err as Error);
    }
  }
}

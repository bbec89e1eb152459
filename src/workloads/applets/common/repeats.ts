import type { Tool } from './tool';

// od and hexdump show a run of lines equal to the one before as a single
// "*" (unless -v). fold() answers whether `line` is such a repeat, and
// prints the "*" at the first of a run.
export class RepeatedLines {
  private prev?: Buffer;
  private starred = false;

  constructor(
    private readonly t: Tool,
    private readonly width: number,
    private readonly verbose: boolean,
  ) {}

  async fold(line: Buffer): Promise<boolean> {
    if (!this.verbose && this.prev && line.length === this.width && this.prev.equals(line)) {
      if (!this.starred) await this.t.out.text('*\n');
      this.starred = true;
      return true;
    }
    this.starred = false;
    this.prev = Buffer.from(line);
    return false;
  }

  // The last, partial line is never folded into the one before.
  forget(): void {
    this.prev = undefined;
  }
}

import { sleep as delay } from '../../domain/sleep';
import type { Clock } from './types';

// Node's timers fire at once past 2^31-1 ms; longer sleeps go in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

export async function longSleep(ms: number, signal: AbortSignal): Promise<void> {
  let left = ms;
  while (left > MAX_TIMER_MS) {
    await delay(MAX_TIMER_MS, signal);
    left -= MAX_TIMER_MS;
  }
  await delay(Math.max(0, left), signal);
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: longSleep,
  replaying: () => false,
};

// A timeline that starts at the container's start: `sleep N` ends N seconds
// after the sleep began on it, not after fakecri got round to it. After a
// restart of fakecri the program runs again from its start, fast up to the
// present (replaying() is true until then), and on in real time after.
export class ProgramClock implements Clock {
  private t: number;

  constructor(
    startMs: number,
    private readonly replayUntilMs = 0,
  ) {
    this.t = startMs;
  }

  now(): number {
    return Math.max(this.t, this.replaying() ? this.t : Date.now());
  }

  replaying(): boolean {
    return this.t < this.replayUntilMs;
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.t = Math.max(this.t, this.replaying() ? this.t : Date.now()) + ms;
    const wait = this.t - Date.now();
    if (wait > 0) await longSleep(wait, signal);
    else {
      await new Promise((r) => setImmediate(r));
      if (signal.aborted) throw signal.reason;
    }
  }
}

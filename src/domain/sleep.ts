// Node's timers fire at once past 2^31-1 ms (with a warning); longer waits
// are taken in steps, so a 30-day timeout is 30 days.
export const MAX_TIMER_MS = 2 ** 31 - 1;

// What can cut a wait short: an AbortSignal, or something as small that
// says the same (a process's death, workloads/procs/table.ts).
export interface Interrupt {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

// A timer that an Interrupt can cut short (rejecting with its reason).
// The abort listener goes when the timer fires, so loops that sleep on one
// long-lived signal do not pile listeners up.
export const sleep = (ms: number, signal?: Interrupt): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = longTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      t.cancel();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

// setTimeout without the 2^31 ms limit. cancel() stops it. An object, not
// closures: every sleeping container loop holds one.
export function longTimeout(fn: () => void, ms: number): { cancel(): void } {
  return new LongTimer(fn, Number.isFinite(ms) ? Math.max(0, ms) : MAX_TIMER_MS);
}

// It fires once Date.now() has reached its due time, never before, as a
// real sleep lasts at least its time: libuv counts whole milliseconds of
// another clock, and one timer in eight fired a millisecond short (a
// `sleep 3` once ended 2,999 ms after its container started).
class LongTimer {
  private t: NodeJS.Timeout;
  private readonly due: number;

  constructor(
    private readonly fn: () => void,
    ms: number,
  ) {
    this.due = Date.now() + ms;
    this.t = this.arm(ms);
  }

  cancel(): void {
    clearTimeout(this.t);
  }

  private arm(left: number): NodeJS.Timeout {
    return setTimeout(LongTimer.fire, Math.min(left, MAX_TIMER_MS), this);
  }

  private static fire(t: LongTimer): void {
    const left = t.due - Date.now();
    if (left > 0) t.t = t.arm(left);
    else t.fn();
  }
}

// An AbortSignal that aborts after `ms` (any length), with `reason`; cancel()
// drops the timer once the guarded work is done, so long timeouts of many
// finished calls do not pile up.
export function timeoutSignal(ms: number, reason: () => unknown): { signal: AbortSignal; cancel(): void } {
  const controller = new AbortController();
  const t = longTimeout(() => controller.abort(reason()), ms);
  return { signal: controller.signal, cancel: () => t.cancel() };
}

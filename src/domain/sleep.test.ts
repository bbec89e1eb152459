import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, longTimeout, sleep, timeoutSignal } from './sleep';

// Node's timers fire at once past 2^31-1 ms (issue 13, defect 12: a 30-day
// sleep ended at once). These do not.
describe('long timers', () => {
  afterEach(() => vi.useRealTimers());
  const DAY = 24 * 3600 * 1000;

  it('fires once Date.now() has reached its time, never a millisecond short (as Node timers do, one in eight)', async () => {
    const short: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const ms = 5 + (i % 25);
        const due = Date.now() + ms;
        return new Promise<void>((resolve) =>
          longTimeout(() => {
            if (Date.now() < due) short.push(due - Date.now());
            resolve();
          }, ms),
        );
      }),
    );
    expect(short).toEqual([]);
  });

  it('longTimeout fires after 30 days, not before', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    longTimeout(fn, 30 * DAY);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * DAY - MAX_TIMER_MS - 2);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledOnce();
  });

  it('sleep and timeoutSignal take any length, and cancel', async () => {
    vi.useFakeTimers();
    let slept = false;
    void sleep(40 * DAY).then(() => (slept = true));
    const t = timeoutSignal(365 * DAY, () => new Error('late'));
    await vi.advanceTimersByTimeAsync(39 * DAY);
    expect(slept).toBe(false);
    await vi.advanceTimersByTimeAsync(DAY);
    expect(slept).toBe(true);
    expect(t.signal.aborted).toBe(false);
    t.cancel();
    await vi.advanceTimersByTimeAsync(400 * DAY);
    expect(t.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});

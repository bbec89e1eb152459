import type { TestOptions } from 'vitest';

declare module 'vitest' {
  interface TaskMeta {
    // Why a test or suite cannot run here; the summary prints it.
    skipReason?: string;
  }
}

// Options for a describe() or it() that needs something this machine may
// lack: skipped where `reason` says why, and the reason goes to the summary
// (src/test/reporter.ts). Never skip a test without one.
export function needs(reason: string | undefined): TestOptions {
  return reason ? { skip: true, meta: { skipReason: reason } } : {};
}

import type { Writable } from 'node:stream';

// Ends a writable and waits until what it held is handed on (or it failed).
export function endAndWait(w: Writable): Promise<void> {
  if (w.writableFinished || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('close', resolve);
    w.end(() => resolve());
  });
}

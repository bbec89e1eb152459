import { sleepMs } from '../applets/basic';
import type { Applet } from '../applets/types';
import { waitsForStop } from './image-program';
import type { Target } from './resolve';

// A resting program only waits, for a signal or for its time, and shows
// nothing meanwhile: busybox `sleep`, pause, an image's program that
// fakecri knows nothing of. Its container keeps no userland while it rests
// (most pods of a large node are such); Programs makes it, the program
// started on its own timeline, when something looks inside or signals it.
// How long it rests, in ms from its start (Infinity: until a signal), or
// undefined when the program does more than wait.
export function restsFor(target: Target, applets: ReadonlyMap<string, Applet>): number | undefined {
  if (target.applet === applets.get('sleep')) return sleepMs(target.argv.slice(1));
  return waitsForStop(target.applet) ? Infinity : undefined;
}

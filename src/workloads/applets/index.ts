import { basename, dirname, echo, falseApplet, pwd, seq, sleep, trueApplet, usleep, yes } from './basic';
import { printf } from './printf';
import { test } from './test';
import { cat, head, tac, tail, tee, wc } from './text';
import type { Applet } from './types';

// Every applet by name: what /bin holds in a busybox image.
export const applets: ReadonlyMap<string, Applet> = new Map<string, Applet>([
  ['[', test],
  ['[[', test],
  ['basename', basename],
  ['cat', cat],
  ['dirname', dirname],
  ['echo', echo],
  ['false', falseApplet],
  ['head', head],
  ['printf', printf],
  ['pwd', pwd],
  ['seq', seq],
  ['sleep', sleep],
  ['tac', tac],
  ['tail', tail],
  ['tee', tee],
  ['test', test],
  ['true', trueApplet],
  ['usleep', usleep],
  ['wc', wc],
  ['yes', yes],
]);

export const appletNames: readonly string[] = [...applets.keys()].sort();

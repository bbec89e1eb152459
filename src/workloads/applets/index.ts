import { basename, dirname, echo, falseApplet, pwd, seq, sleep, trueApplet, usleep, yes } from './basic';
import { dd } from './dd';
import { df, du, mount } from './disk';
import { chgrp, chmod, chown, cp, fallocate, ln, mkdir, mktemp, mv, readlink, realpath, rm, rmdir, sync, touch, truncate } from './files';
import { ls } from './ls';
import { printf } from './printf';
import { stat } from './stat';
import { test } from './test';
import { cat, head, tac, tail, tee, wc } from './text';
import type { Applet } from './types';

// Every applet by name: what /bin holds in a busybox image.
export const applets: ReadonlyMap<string, Applet> = new Map<string, Applet>([
  ['[', test],
  ['[[', test],
  ['basename', basename],
  ['cat', cat],
  ['chgrp', chgrp],
  ['chmod', chmod],
  ['chown', chown],
  ['cp', cp],
  ['dd', dd],
  ['df', df],
  ['dirname', dirname],
  ['du', du],
  ['echo', echo],
  ['fallocate', fallocate],
  ['false', falseApplet],
  ['head', head],
  ['ln', ln],
  ['ls', ls],
  ['mkdir', mkdir],
  ['mktemp', mktemp],
  ['mount', mount],
  ['mv', mv],
  ['printf', printf],
  ['pwd', pwd],
  ['readlink', readlink],
  ['realpath', realpath],
  ['rm', rm],
  ['rmdir', rmdir],
  ['seq', seq],
  ['sleep', sleep],
  ['stat', stat],
  ['sync', sync],
  ['tac', tac],
  ['tail', tail],
  ['tee', tee],
  ['test', test],
  ['touch', touch],
  ['true', trueApplet],
  ['truncate', truncate],
  ['usleep', usleep],
  ['wc', wc],
  ['yes', yes],
]);

export const appletNames: readonly string[] = [...applets.keys()].sort();

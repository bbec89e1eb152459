import { basename, dirname, echo, falseApplet, pwd, seq, sleep, trueApplet, usleep, yes } from './basic';
import { cut, tr } from './columns';
import { dd } from './dd';
import { df, du, mount } from './disk';
import { chgrp, chmod, chown, cp, fallocate, ln, mkdir, mktemp, mv, readlink, realpath, rm, rmdir, sync, touch, truncate } from './files';
import { grep } from './grep';
import { ls } from './ls';
import { printf } from './printf';
import { sed } from './sed';
import { sort, uniq } from './sort';
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
  ['cut', cut],
  ['dd', dd],
  ['df', df],
  ['dirname', dirname],
  ['du', du],
  ['echo', echo],
  ['egrep', grep],
  ['fallocate', fallocate],
  ['false', falseApplet],
  ['fgrep', grep],
  ['grep', grep],
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
  ['sed', sed],
  ['seq', seq],
  ['sleep', sleep],
  ['sort', sort],
  ['stat', stat],
  ['sync', sync],
  ['tac', tac],
  ['tail', tail],
  ['tee', tee],
  ['test', test],
  ['touch', touch],
  ['tr', tr],
  ['true', trueApplet],
  ['truncate', truncate],
  ['uniq', uniq],
  ['usleep', usleep],
  ['wc', wc],
  ['yes', yes],
]);

export const appletNames: readonly string[] = [...applets.keys()].sort();

import { awk } from './awk';
import { basename, dirname, echo, falseApplet, pwd, seq, sleep, trueApplet, usleep, yes } from './basic';
import { cut, tr } from './columns';
import { dd } from './dd';
import { diff } from './diff';
import { df, du, mount, mountpoint } from './disk';
import { base64, cmp, od, strings, uudecode, uuencode } from './encode';
import { expr } from './expr';
import { chgrp, chmod, chown, cp, fallocate, fsync, ln, mkdir, mktemp, mv, readlink, realpath, rm, rmdir, sync, touch, truncate } from './files';
import { find } from './find';
import { dos2unix, expand, fold, nl, unexpand, unix2dos } from './format';
import { getopt } from './getopt';
import { grep } from './grep';
import { gunzip, gzip, zcat } from './gzip';
import { cksum, md5sum, sha1sum, sha256sum, sha512sum } from './hash';
import { httpd } from './httpd';
import { install } from './install';
import { ls } from './ls';
import { arch, clear, groups, hexdump, link, logname, paste, rev, time, tty, unlink, uptime, watch } from './misc';
import { nc, wget } from './net';
import { brctl, ping } from './netadmin';
import { printf } from './printf';
import { kill, killall, pgrep, pidof, pkill, ps, top } from './procs';
import { sed } from './sed';
import { comm, shuf, sort, uniq } from './sort';
import { split } from './split';
import { stat } from './stat';
import { stty } from './stty';
import { date, env, free, hostname, id, nice, nohup, nproc, printenv, setsid, timeout, uname, which, who, whoami } from './system';
import { tar } from './tar';
import { tree } from './tree';
import { ipcs, netstat } from './sysv';
import { test } from './test';
import { cat, head, tac, tail, tee, wc } from './text';
import type { Applet } from './types';
import { xargs } from './xargs';
import { xxd } from './xxd';

// Every applet by name: what /bin holds in a busybox image.
export const applets: ReadonlyMap<string, Applet> = new Map<string, Applet>([
  ['[', test],
  ['[[', test],
  ['arch', arch],
  ['awk', awk],
  ['base64', base64],
  ['basename', basename],
  ['brctl', brctl],
  ['cat', cat],
  ['chgrp', chgrp],
  ['chmod', chmod],
  ['chown', chown],
  ['cksum', cksum],
  ['clear', clear],
  ['cmp', cmp],
  ['comm', comm],
  ['cp', cp],
  ['cut', cut],
  ['date', date],
  ['dd', dd],
  ['df', df],
  ['diff', diff],
  ['dirname', dirname],
  ['dos2unix', dos2unix],
  ['du', du],
  ['echo', echo],
  ['egrep', grep],
  ['env', env],
  ['expand', expand],
  ['expr', expr],
  ['fallocate', fallocate],
  ['false', falseApplet],
  ['fgrep', grep],
  ['find', find],
  ['fold', fold],
  ['free', free],
  ['fsync', fsync],
  ['getopt', getopt],
  ['grep', grep],
  ['groups', groups],
  ['gunzip', gunzip],
  ['gzip', gzip],
  ['hd', hexdump],
  ['head', head],
  ['hexdump', hexdump],
  ['hostname', hostname],
  ['id', id],
  ['install', install],
  ['ipcs', ipcs],
  ['kill', kill],
  ['killall', killall],
  ['link', link],
  ['ln', ln],
  ['logname', logname],
  ['ls', ls],
  ['md5sum', md5sum],
  ['mkdir', mkdir],
  ['mktemp', mktemp],
  ['mount', mount],
  ['mountpoint', mountpoint],
  ['mv', mv],
  ['nc', nc],
  ['netstat', netstat],
  ['httpd', httpd],
  ['netcat', nc],
  ['nice', nice],
  ['nl', nl],
  ['nohup', nohup],
  ['nproc', nproc],
  ['od', od],
  ['paste', paste],
  ['printenv', printenv],
  ['printf', printf],
  ['pgrep', pgrep],
  ['pidof', pidof],
  ['ping', ping],
  ['pkill', pkill],
  ['ps', ps],
  ['pwd', pwd],
  ['readlink', readlink],
  ['realpath', realpath],
  ['rev', rev],
  ['rm', rm],
  ['rmdir', rmdir],
  ['sed', sed],
  ['setsid', setsid],
  ['seq', seq],
  ['sha1sum', sha1sum],
  ['sha256sum', sha256sum],
  ['sha512sum', sha512sum],
  ['shuf', shuf],
  ['sleep', sleep],
  ['sort', sort],
  ['split', split],
  ['stat', stat],
  ['strings', strings],
  ['stty', stty],
  ['sync', sync],
  ['tac', tac],
  ['tail', tail],
  ['tar', tar],
  ['tee', tee],
  ['test', test],
  ['time', time],
  ['timeout', timeout],
  ['top', top],
  ['touch', touch],
  ['tr', tr],
  ['tree', tree],
  ['true', trueApplet],
  ['truncate', truncate],
  ['tty', tty],
  ['uname', uname],
  ['unexpand', unexpand],
  ['uniq', uniq],
  ['unix2dos', unix2dos],
  ['unlink', unlink],
  ['uptime', uptime],
  ['users', who],
  ['usleep', usleep],
  ['uudecode', uudecode],
  ['uuencode', uuencode],
  ['watch', watch],
  ['wc', wc],
  ['wget', wget],
  ['which', which],
  ['w', who],
  ['who', who],
  ['whoami', whoami],
  ['xargs', xargs],
  ['xxd', xxd],
  ['yes', yes],
  ['zcat', zcat],
]);

export const appletNames: readonly string[] = [...applets.keys()].sort();

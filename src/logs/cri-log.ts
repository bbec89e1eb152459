import { closeSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { mkdirWithin, openAppend } from '../domain/safe-files';

// Container logs in the CRI format the kubelet parses for `kubectl logs`:
//   <RFC3339Nano timestamp> <stdout|stderr> <P|F> <text>\n
// The timestamp is Go's RFC3339Nano in UTC, as containerd writes it: the
// fraction loses its trailing zeros, and vanishes when it is zero.
export type LogStream = 'stdout' | 'stderr';

export function formatLogTime(nanos: string): string {
  const ns = BigInt(nanos);
  const iso = new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso}${fraction ? `.${fraction}` : ''}Z`;
}

export function formatLogLine(nanos: string, stream: LogStream, text: string, partial = false): string {
  return `${formatLogTime(nanos)} ${stream} ${partial ? 'P' : 'F'} ${text}\n`;
}

// Creates the log file and its directories under the sandbox's log
// directory; used at start and by ReopenContainerLog after the kubelet has
// rotated the old file away. As containerd opens it (O_APPEND|O_CREAT): a
// log already there is appended to, never truncated; and, as fakecri adds,
// never through a symlink, only a regular file, and only a file that is
// empty or a CRI log: a path that names anything else is refused.
export function createLogFile(path: string, logDirectory: string): void {
  mkdirWithin(logDirectory, dirname(path));
  closeSync(openAppend(path, isCriLog));
}

const CRI_LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (stdout|stderr) [PF] /;

// Whether these first bytes of a file are those of a CRI log.
export const isCriLog = (head: Buffer): boolean => CRI_LOG_LINE.test(head.toString('latin1'));

export function appendLog(path: string, line: string): void {
  const fd = openAppend(path);
  try {
    writeSync(fd, line);
  } finally {
    closeSync(fd);
  }
}

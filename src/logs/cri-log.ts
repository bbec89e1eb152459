import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

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

// Starts an empty log file, creating its directory; used at start and by
// ReopenContainerLog after the kubelet has rotated the old file away.
export function createLogFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '', { mode: 0o640 });
}

export function appendLog(path: string, line: string): void {
  appendFileSync(path, line);
}

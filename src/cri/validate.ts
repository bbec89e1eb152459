import { invalidArgument } from '../domain/errors';

// Request checks shared by the handlers. Every message names the field the
// way the proto does, so a caller can see what to fix.
export const MAX_NAME = 253;
export const MAX_ID = 256;
export const MAX_PATH = 4096;
const MAX_LABEL_KEY = 317;
const MAX_LABEL_VALUE = 4096;
const MAX_MAP_BYTES = 512 * 1024;

export function checkString(value: string, field: string, max: number): string {
  if (typeof value !== 'string') throw invalidArgument(`${field} must be a string`);
  if (value.length > max) throw invalidArgument(`${field} is ${value.length} characters long, more than the ${max} allowed`);
  return value;
}

export function requireString(value: string, field: string, max: number): string {
  checkString(value, field, max);
  if (value === '') throw invalidArgument(`${field} is required`);
  return value;
}

export const requireId = (value: string, field: string): string => requireString(value, field, MAX_ID);

export function requireMessage<T>(value: T | null | undefined, field: string): T {
  if (value === null || value === undefined) throw invalidArgument(`${field} is required`);
  return value;
}

export function checkMap(map: Record<string, string> | null | undefined, field: string, labels: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const [k, v] of Object.entries(map ?? {})) {
    if (k === '') throw invalidArgument(`${field} has an empty key`);
    if (labels && k.length > MAX_LABEL_KEY) throw invalidArgument(`${field} key "${k.slice(0, 40)}…" is longer than ${MAX_LABEL_KEY} characters`);
    if (labels && v.length > MAX_LABEL_VALUE) throw invalidArgument(`${field}["${k}"] is longer than ${MAX_LABEL_VALUE} characters`);
    bytes += k.length + v.length;
    if (bytes > MAX_MAP_BYTES) throw invalidArgument(`${field} is larger than ${MAX_MAP_BYTES} bytes in total`);
    out[k] = v;
  }
  return out;
}

// With enums decoded as strings, a value outside the proto's enum arrives as
// a number: that is how an invalid enum shows up.
export function checkEnum<T extends string>(value: T | number, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw invalidArgument(`${field} ${String(value)} is not one of ${allowed.join(', ')}`);
  }
  return value;
}

export function checkInt(value: number | string, field: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidArgument(`${field} ${String(value)} is not a whole number from ${min} to ${max}`);
  return n;
}

// Bounds every request meets before its handler sees it, whatever its RPC:
// the message itself is at most 16 MiB (grpc.max_receive_message_length, as
// containerd), and inside it no string, list or map may be larger than these.
// Handlers check their own fields more tightly (names, ids, paths).
export const REQUEST_LIMITS = {
  string: 1024 * 1024, // Linux allows 128 KiB per argument; env values and annotations stay far below
  list: 100_000, // envs: a namespace with thousands of services has tens of thousands
  depth: 32,
} as const;

export function checkRequestBounds(value: unknown, field = ''): void {
  try {
    walkBounds(value, 0);
  } catch (err) {
    if (!(err instanceof OutOfBounds)) throw err;
    let name = field;
    for (let i = err.at.length - 1; i >= 0; i--) {
      const k = err.at[i];
      name = typeof k === 'number' ? `${name}[${k}]` : name ? `${name}.${k}` : k;
    }
    throw invalidArgument(err.problem(name));
  }
}

// A limit passed somewhere inside: the field's name is put together on the
// way out, from the keys each level adds, and only then. The walk visits
// every field of a request (hundreds in a kubelet's CreateContainer): a
// name made for each was most of what a call allocated here.
class OutOfBounds {
  // Keys from the innermost out.
  readonly at: (string | number)[] = [];
  constructor(readonly problem: (field: string) => string) {}
}

function walkBounds(value: unknown, depth: number): void {
  if (depth > REQUEST_LIMITS.depth) throw new OutOfBounds((field) => `${field || 'request'} is nested deeper than ${REQUEST_LIMITS.depth} levels`);
  if (typeof value === 'string') {
    if (value.length > REQUEST_LIMITS.string) throw new OutOfBounds((field) => `${field} is ${value.length} characters long, more than the ${REQUEST_LIMITS.string} allowed`);
    return;
  }
  if (Buffer.isBuffer(value)) {
    if (value.length > REQUEST_LIMITS.string) throw new OutOfBounds((field) => `${field} is ${value.length} bytes long, more than the ${REQUEST_LIMITS.string} allowed`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (value.length > REQUEST_LIMITS.list) throw new OutOfBounds((field) => `${field} has ${value.length} items, more than the ${REQUEST_LIMITS.list} allowed`);
    for (let i = 0; i < value.length; i++) walkBoundsAt(value[i], i, depth + 1);
    return;
  }
  const keys = Object.keys(value);
  if (keys.length > REQUEST_LIMITS.list) throw new OutOfBounds((field) => `${field} has ${keys.length} entries, more than the ${REQUEST_LIMITS.list} allowed`);
  for (const k of keys) {
    if (k.length > REQUEST_LIMITS.string) throw new OutOfBounds((field) => `${field} has a key ${k.length} characters long, more than the ${REQUEST_LIMITS.string} allowed`);
    walkBoundsAt((value as Record<string, unknown>)[k], k, depth + 1);
  }
}

function walkBoundsAt(value: unknown, key: string | number, depth: number): void {
  try {
    walkBounds(value, depth);
  } catch (err) {
    if (err instanceof OutOfBounds) err.at.push(key);
    throw err;
  }
}

// A process's arguments, environment and directory are C strings: no NUL
// (execve refuses them, and so runc and containerd). fakecri's interpreter
// must not see one either.
export function checkNoNul(values: readonly (string | undefined)[], field: string): void {
  values.forEach((v, i) => {
    if (typeof v === 'string' && v.includes('\0')) throw invalidArgument(`${field}[${i}] contains a NUL byte, which no process argument can hold`);
  });
}

// As Linux's ARG_MAX allows, about.
const MAX_ARGS = 32 * 1024;
const MAX_CMD_BYTES = 2 * 1024 * 1024;

// A command line (ExecSync's, Exec's): not empty, no NUL, within ARG_MAX.
export function checkCommand(cmd: readonly string[], field: string): void {
  if (cmd.length === 0) throw invalidArgument(`${field} is required`);
  if (cmd.length > MAX_ARGS) throw invalidArgument(`${field} has ${cmd.length} words, more than the ${MAX_ARGS} allowed`);
  checkNoNul(cmd, field);
  const bytes = cmd.reduce((n, a) => n + a.length, 0);
  if (bytes > MAX_CMD_BYTES) throw invalidArgument(`${field} is ${bytes} characters long, more than the ${MAX_CMD_BYTES} allowed`);
}

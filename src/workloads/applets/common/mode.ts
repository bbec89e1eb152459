import type { FileType } from '../../rootfs/types';

// File modes: bb_parse_mode (chmod, mkdir -m) and the "drwxr-xr-x" string
// (ls -l, stat).

const UMASK = 0o022;

const WHO: Record<string, number> = { a: 0o7777, u: 0o4700, g: 0o2070, o: 0o0007 };
const PERM = { r: 0o444, w: 0o222, x: 0o111, s: 0o6000, t: 0o1000 } as const;

// The new mode for `s` applied to `current`, or undefined if `s` is bad.
export function parseMode(s: string, current: number, isDir = false): number | undefined {
  if (/^[0-7]/.test(s)) {
    if (!/^[0-7]+$/.test(s)) return undefined;
    const v = parseInt(s, 8);
    return v > 0o7777 ? undefined : v;
  }
  let mode = current;
  let i = 0;
  while (i < s.length) {
    if (s[i] === ',') {
      i++;
      continue;
    }
    let who = 0;
    while (s[i] !== undefined && s[i] in WHO) {
      who |= WHO[s[i]];
      if (++i >= s.length) return undefined;
    }
    do {
      const op = s[i];
      if (op !== '+' && op !== '-' && op !== '=') return undefined;
      if (op === '=') mode &= who ? ~who : ~0o7777;
      i++;
      let perms = 0;
      const copy = s[i];
      if (copy === 'u' || copy === 'g' || copy === 'o') {
        // Permission copy: g=u.
        const bits = WHO[copy] & 0o777 & mode;
        for (const m of [0o444, 0o222, 0o111]) if (bits & m) perms |= m;
        i++;
      } else {
        while (i < s.length && 'rwxXst'.includes(s[i])) {
          const c = s[i++];
          if (c === 'X') {
            if (isDir || mode & 0o111) perms |= 0o111;
          } else perms |= PERM[c as keyof typeof PERM];
        }
      }
      if (perms) {
        perms &= who ? who : ~UMASK;
        if (op === '-') mode &= ~perms;
        else mode |= perms;
      }
    } while (i < s.length && s[i] !== ',');
  }
  return mode & 0o7777;
}

const TYPE_CHAR: Record<FileType, string> = {
  file: '-',
  dir: 'd',
  symlink: 'l',
  chardev: 'c',
  blockdev: 'b',
  fifo: 'p',
  socket: 's',
};

// bb_mode_string: "-rwxr-xr-x", with s/S, t/T.
export function modeString(type: FileType, mode: number): string {
  const rwx = (r: number, w: number, x: number, special: number, ch: string) =>
    (mode & r ? 'r' : '-') + (mode & w ? 'w' : '-') + (mode & special ? (mode & x ? ch : ch.toUpperCase()) : mode & x ? 'x' : '-');
  return (
    TYPE_CHAR[type] +
    rwx(0o400, 0o200, 0o100, 0o4000, 's') +
    rwx(0o040, 0o020, 0o010, 0o2000, 's') +
    rwx(0o004, 0o002, 0o001, 0o1000, 't')
  );
}

// The S_IFMT bits of a type, as stat %f and %r show the raw mode.
export const TYPE_BITS: Record<FileType, number> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  chardev: 0o020000,
  blockdev: 0o060000,
  fifo: 0o010000,
  socket: 0o140000,
};

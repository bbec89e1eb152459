import { type Stat, type StatFs, isFsError } from '../rootfs/types';
import { type ConvSpec, formatInt, formatString } from './common/cformat';
import { strftime } from './common/date';
import { TYPE_BITS, modeString } from './common/mode';
import { type Tool, applet } from './common/tool';
import { Names } from './common/users';

// stat [-L] [-f] [-t] [-c FMT] FILE...: busybox's default layout and its
// format directives.

const FILE_FORMAT =
  '  File: %N\n' +
  '  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n' +
  'Device: %Dh/%dd\tInode: %-10i  Links: %h\n' +
  'Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n' +
  'Access: %x\n' +
  'Modify: %y\n' +
  'Change: %z';
const DEV_FORMAT =
  '  File: %N\n' +
  '  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n' +
  'Device: %Dh/%dd\tInode: %-10i  Links: %-5h Device type: %t,%T\n' +
  'Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n' +
  'Access: %x\n' +
  'Modify: %y\n' +
  'Change: %z';
const TERSE = '%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %o';
const FS_FORMAT =
  '  File: "%n"\n' +
  '    ID: %-8i Namelen: %-7l Type: %T\n' +
  'Block size: %-10s\n' +
  'Blocks: Total: %-10b Free: %-10f Available: %a\n' +
  'Inodes: Total: %-10c Free: %d';
const FS_TERSE = '%n %i %l %t %s %b %f %a %c %d';

// Filesystem magic numbers, as statfs(2) gives them.
export const FS_MAGIC: Record<string, number> = {
  overlay: 0x794c7630,
  tmpfs: 0x01021994,
  ext4: 0xef53,
  ext3: 0xef53,
  ext2: 0xef53,
  xfs: 0x58465342,
  btrfs: 0x9123683e,
  proc: 0x9fa0,
  sysfs: 0x62656572,
  cgroup2: 0x63677270,
  devpts: 0x1cd1,
  mqueue: 0x19800202,
  nfs: 0x6969,
};

const FS_NAME: Record<number, string> = {
  0xef53: 'ext2/ext3',
  0x01021994: 'tmpfs',
  0x58465342: 'xfs',
  0x9fa0: 'proc',
  0x62656572: 'sysfs',
  0x1cd1: 'devpts',
  0x6969: 'nfs',
  0x9123683e: 'btrfs',
};

function humanTime(ms: number): string {
  const ns = Math.round((((ms % 1000) + 1000) % 1000) * 1e6);
  return strftime('%Y-%m-%d %H:%M:%S', ms) + `.${String(ns).padStart(9, '0')} +0000`;
}

function fileType(st: Stat): string {
  switch (st.type) {
    case 'file':
      return st.size === 0 ? 'regular empty file' : 'regular file';
    case 'dir':
      return 'directory';
    case 'blockdev':
      return 'block special file';
    case 'chardev':
      return 'character special file';
    case 'fifo':
      return 'fifo';
    case 'symlink':
      return 'symbolic link';
    case 'socket':
      return 'socket';
  }
}

// Splits a stat format into text and %directives, each directive handed to
// `conv` with its printf modifiers.
function printIt(fmt: string, conv: (spec: ConvSpec, c: string) => string): string {
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== '%') {
      out += fmt[i];
      continue;
    }
    let j = i + 1;
    while (j < fmt.length && '#-+.I 0123456789'.includes(fmt[j])) j++;
    const mods = fmt.slice(i + 1, j);
    const c = fmt[j];
    i = j;
    if (c === undefined || c === '%') {
      out += '%';
      if (c === undefined) break;
      continue;
    }
    const m = /^([#\-+ 0I]*)(\d*)(?:\.(\d*))?$/.exec(mods);
    const spec: ConvSpec = {
      flags: m?.[1] ?? '',
      width: m?.[2] ? Number(m[2]) : undefined,
      precision: m && m[3] !== undefined ? Number(m[3] || '0') : undefined,
      conv: 'd',
    };
    out += conv(spec, c);
  }
  return out + '\n';
}

const num = (spec: ConvSpec, v: number | bigint, conv = 'u') => formatInt({ ...spec, conv }, BigInt(v));
const str = (spec: ConvSpec, s: string) => formatString({ ...spec, conv: 's' }, s);

export const stat = applet(async (t) => {
  const p = t.parse({ short: 'c:fLt' });
  if (p.operands.length === 0) return t.usage();
  const names = new Names(t.ctx.fs);
  let status = 0;
  for (const f of p.operands) {
    if (p.has('f')) {
      let sf: StatFs;
      try {
        sf = t.ctx.fs.statfs(t.path(f));
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(`can't read file system information for '${f}'`, err);
        status = 1;
        continue;
      }
      const fmt = p.value('c') ?? (p.has('t') ? FS_TERSE : FS_FORMAT);
      const magic = FS_MAGIC[sf.type] ?? 0;
      await t.out.text(
        printIt(fmt, (spec, c) => {
          switch (c) {
            case 'n':
              return str(spec, f);
            case 'i':
              return num(spec, 0, 'x');
            case 'l':
              return num(spec, 255);
            case 't':
              return num(spec, magic, 'x');
            case 'T':
              return str(spec, FS_NAME[magic] ?? sf.type);
            case 'b':
              return num(spec, sf.blocks);
            case 'f':
              return num(spec, sf.bfree);
            case 'a':
              return num(spec, sf.bavail);
            case 's':
            case 'S':
              return num(spec, sf.bsize);
            case 'c':
              return num(spec, sf.files);
            case 'd':
              return num(spec, sf.ffree);
            default:
              return str(spec, c);
          }
        }),
      );
      continue;
    }
    let st: Stat;
    try {
      st = p.has('L') ? t.ctx.fs.stat(t.path(f)) : t.ctx.fs.lstat(t.path(f));
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(`can't stat '${f}'`, err);
      status = 1;
      continue;
    }
    const isDev = st.type === 'chardev' || st.type === 'blockdev';
    const fmt = p.value('c') ?? (p.has('t') ? TERSE : isDev ? DEV_FORMAT : FILE_FORMAT);
    await t.out.text(printIt(fmt, (spec, c) => statConv(t, names, f, st, spec, c)));
  }
  return status;
});

function statConv(t: Tool, names: Names, f: string, st: Stat, spec: ConvSpec, c: string): string {
  switch (c) {
    case 'n':
      return str(spec, f);
    case 'N':
      if (st.type === 'symlink') {
        try {
          return `'${f}' -> '${t.ctx.fs.readlink(t.path(f))}'`;
        } catch {
          return '';
        }
      }
      return str(spec, f);
    case 'd':
      return num(spec, st.dev);
    case 'D':
      return num(spec, st.dev, 'x');
    case 'i':
      return num(spec, st.ino);
    case 'a':
      return num(spec, st.mode & 0o7777, 'o');
    case 'A':
      return str(spec, modeString(st.type, st.mode));
    case 'f':
      return num(spec, TYPE_BITS[st.type] | st.mode, 'x');
    case 'F':
      return str(spec, fileType(st));
    case 'h':
      return num(spec, st.nlink);
    case 'u':
      return num(spec, st.uid);
    case 'U':
      return str(spec, names.user(st.uid) ?? 'UNKNOWN');
    case 'g':
      return num(spec, st.gid);
    case 'G':
      return str(spec, names.group(st.gid) ?? 'UNKNOWN');
    case 't':
      return num(spec, st.rdev >> 8, 'x');
    case 'T':
      return num(spec, st.rdev & 0xff, 'x');
    case 's':
      return num(spec, st.size);
    case 'B':
      return num(spec, 512);
    case 'b':
      return num(spec, st.blocks);
    case 'o':
      return num(spec, st.blksize);
    case 'x':
      return str(spec, humanTime(st.atimeMs));
    case 'X':
      return num(spec, Math.floor(st.atimeMs / 1000), 'd');
    case 'y':
      return str(spec, humanTime(st.mtimeMs));
    case 'Y':
      return num(spec, Math.floor(st.mtimeMs / 1000), 'd');
    case 'z':
      return str(spec, humanTime(st.ctimeMs));
    case 'Z':
      return num(spec, Math.floor(st.ctimeMs / 1000), 'd');
    default:
      return str(spec, c);
  }
}

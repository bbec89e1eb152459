import { split as splitChunk } from '../procs/pipe';
import { chunkBuffer } from '../procs/streams';
import { type Chunk, type FileHandle, chunkLength, isFill, isFsError } from '../rootfs/types';
import { NumberError, parseUnsigned } from './common/numbers';
import { BLOCK, applet } from './common/tool';

// split [-l N | -b N[bkmg]] [-a N] [INPUT [PREFIX]]: busybox's split_main.
// Pieces are PREFIX plus a suffix of N letters from "aa", each made with
// O_TRUNC; bytes go as they come (a Fill stays a Fill with -b).

const NAME_MAX = 255;
const SUFFIXES = { b: 512, k: 1024, m: 1024 * 1024, g: 1024 * 1024 * 1024 };

export const split = applet(async (t) => {
  const p = t.parse({ short: 'l:b:a:' });
  if (p.operands.length > 2) return t.usage();
  let cnt = 1000;
  let suffixLen = 2;
  try {
    if (p.has('a')) suffixLen = parseUnsigned(p.value('a')!, {}, 0, 2 ** 32 - 1);
    // getopt32 keeps the last of -l and -b in one place, read by each
    // given; -b decides how.
    const count = p.seen.filter((o) => o.key === 'l' || o.key === 'b').pop()?.value;
    if (p.has('l')) cnt = parseUnsigned(count!);
    if (p.has('b')) cnt = parseUnsigned(count!, SUFFIXES);
  } catch (err) {
    if (err instanceof NumberError) return t.die(err.message);
    throw err;
  }
  const byBytes = p.has('b');
  const [inputName, prefix = 'x'] = p.operands;
  let input;
  try {
    input = t.input(inputName ?? '-');
  } catch (err) {
    if (!isFsError(err)) throw err;
    return t.die(`can't open '${inputName}': ${err.message}`);
  }
  const what = inputName === undefined || inputName === '-' ? 'standard input' : inputName;
  if (prefix.length + suffixLen > NAME_MAX) return t.die('suffix too long');
  let name: string | undefined = prefix + 'a'.repeat(suffixLen);
  let out: FileHandle | undefined;
  let remaining = 0;
  try {
    for (;;) {
      let read: Chunk | null;
      try {
        read = await input.block(BLOCK);
      } catch (err) {
        if (!isFsError(err)) throw err;
        return t.die(`${what}: ${err.message}`);
      }
      if (read === null) break;
      let c: Chunk = read;
      while (chunkLength(c) > 0) {
        if (remaining === 0) {
          if (name === undefined) return t.die('suffixes exhausted');
          out?.close();
          out = undefined;
          try {
            out = t.open(name, { write: true, create: true, truncate: true });
          } catch (err) {
            if (!isFsError(err)) throw err;
            return t.die(`can't open '${name}': ${err.message}`);
          }
          name = nextName(name, suffixLen);
          remaining = cnt;
        }
        let n: number;
        if (byBytes) {
          n = Math.min(chunkLength(c), remaining);
          remaining -= n;
        } else {
          const nl = isFill(c) && c.fill === 'zero' ? -1 : chunkBuffer(c).indexOf(10);
          if (nl >= 0) {
            remaining--;
            n = nl + 1;
          } else n = chunkLength(c);
        }
        // A count of 0 writes nothing and opens piece after piece, as
        // busybox's loop does, until the suffixes run out.
        const [head, tail] = n >= chunkLength(c) ? [c, emptyChunk] : n === 0 ? [emptyChunk, c] : splitChunk(c, n);
        try {
          if (chunkLength(head)) out!.write(head);
        } catch (err) {
          if (!isFsError(err)) throw err;
          return t.die(`write error: ${err.message}`);
        }
        c = tail;
        if (n === 0) await t.yield();
      }
    }
  } finally {
    out?.close();
    input.close();
  }
  return 0;
});

const emptyChunk: Chunk = Buffer.alloc(0);
// next_file: the suffix counts up from "aa..." to "zz...", then runs out
// (with -a 0, the prefix's last letter counts).
function nextName(old: string, suffixLen: number): string | undefined {
  const s = old.split('');
  for (let i = 1; ; ) {
    const at = s.length - i;
    if (s[at] < 'z') {
      s[at] = String.fromCharCode(s[at].charCodeAt(0) + 1);
      return s.join('');
    }
    if (++i > suffixLen) return undefined;
    s[at] = 'a';
  }
}

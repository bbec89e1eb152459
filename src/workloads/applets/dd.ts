import { split } from '../procs/pipe';
import { chunkBuffer } from '../procs/streams';
import { type Chunk, type FileHandle, FsError, chunkLength, isFsError } from '../rootfs/types';
import { CWBKMG, NumberError, humanReadable, parseUnsigned } from './common/numbers';
import { type Tool, applet } from './common/tool';

// dd: busybox's operands, records and summary. Fills pass through whole so a
// copy from /dev/urandom costs O(1) memory; a block is at most bs bytes of
// chunks, and the applet yields between blocks.

const CONV = ['notrunc', 'sync', 'noerror', 'fsync', 'swab', 'fdatasync'] as const;
const IFLAG = ['skip_bytes', 'count_bytes', 'fullblock', 'direct'] as const;
const OFLAG = ['seek_bytes', 'append', 'direct', 'sync', 'dsync'] as const;
const STATUS = ['none', 'noxfer', 'progress'] as const;

// The largest size_t/2 busybox allows for a block.
const MAX_BLOCK = 2 ** 31;

interface Source {
  // Up to `max` bytes as chunks (a short read is a partial record); null at
  // the end. Throws FsError on a read error.
  read(max: number, full: boolean): Promise<Chunk[] | null>;
  // Moves on by `bytes` without reading when it can; answers false if the
  // caller must read them instead.
  seek(bytes: number): boolean;
  close(): void;
}

interface Sink {
  // Writes all of `data`, or as much as fits before an error; answers the
  // bytes written and the error.
  write(data: Chunk): Promise<{ n: number; err?: FsError }>;
  sync(): void;
  close(): void;
}

const total = (cs: Chunk[]) => cs.reduce((n, c) => n + chunkLength(c), 0);

function fileSource(fh: FileHandle): Source {
  const regular = fh.stat().type === 'file';
  return {
    read: async (max) => {
      // A regular file gives whole reads until its end.
      const out: Chunk[] = [];
      let got = 0;
      while (got < max) {
        const c = fh.read(max - got);
        if (c === null || chunkLength(c) === 0) break;
        out.push(c);
        got += chunkLength(c);
        if (!regular) break;
      }
      return got === 0 ? null : out;
    },
    seek: (bytes) => {
      fh.seek(fh.offset + bytes);
      return true;
    },
    close: () => fh.close(),
  };
}

function streamSource(t: Tool): Source {
  let pending: Chunk | undefined;
  let ended = false;
  const next = async (max: number): Promise<Chunk | null> => {
    if (pending) {
      const c = pending;
      if (chunkLength(c) > max) {
        const [a, b] = split(c, max);
        pending = b;
        return a;
      }
      pending = undefined;
      return c;
    }
    if (ended) return null;
    const c = await t.ctx.stdin.read(max);
    if (c === null) ended = true;
    else if (chunkLength(c) > max) {
      const [a, b] = split(c, max);
      pending = b;
      return a;
    }
    return c;
  };
  return {
    read: async (max, full) => {
      const out: Chunk[] = [];
      let got = 0;
      while (got < max) {
        const c = await next(max - got);
        if (c === null) break;
        if (chunkLength(c) === 0) continue;
        out.push(c);
        got += chunkLength(c);
        if (!full) break;
      }
      return got === 0 ? null : out;
    },
    seek: () => false,
    close: () => {},
  };
}

// A file handle: ENOSPC writes nothing, so write what fits piece by piece,
// as a real short write would have put on the disk before the error.
function fileSink(fh: FileHandle): Sink {
  return {
    write: async (data) => {
      try {
        return { n: fh.write(data) };
      } catch (err) {
        if (!isFsError(err)) throw err;
        if (err.code !== 'ENOSPC' && err.code !== 'EDQUOT' && err.code !== 'EFBIG') return { n: 0, err };
        let rest = data;
        let n = 0;
        let size = Math.floor(chunkLength(data) / 2);
        while (size > 0 && chunkLength(rest) > 0) {
          const [piece, after] = split(rest, Math.min(size, chunkLength(rest)));
          try {
            n += fh.write(piece);
            rest = after;
          } catch (e) {
            if (!isFsError(e)) throw e;
            size = Math.floor(size / 2);
          }
        }
        return { n, err };
      }
    },
    sync: () => fh.sync(),
    close: () => fh.close(),
  };
}

function streamSink(t: Tool): Sink {
  return {
    write: async (data) => {
      await t.ctx.stdout.write(data);
      return { n: chunkLength(data) };
    },
    sync: () => {},
    close: () => {},
  };
}

function swab(cs: Chunk[], n: number): Chunk[] {
  const b = Buffer.concat(cs.map((c) => chunkBuffer(c)));
  for (let i = 0; i + 1 < n; i += 2) {
    const x = b[i];
    b[i] = b[i + 1];
    b[i + 1] = x;
  }
  return [b];
}

export const dd = applet(async (t) => {
  let ibs = 512;
  let obs = 512;
  let count = -1;
  let seek = 0;
  let skip = 0;
  let infile: string | undefined;
  let outfile: string | undefined;
  const flags = new Set<string>();
  const num = async (v: string, lower = 0, upper = Number.MAX_SAFE_INTEGER) => {
    try {
      // busybox's xatoul_range_sfx: no GNU 'x' products (bs=1x2).
      return parseUnsigned(v, CWBKMG, lower, upper);
    } catch (err) {
      if (err instanceof NumberError) return t.die(err.message);
      throw err;
    }
  };
  const words = async (v: string, allowed: readonly string[], what: string) => {
    for (const w of v.split(',')) {
      if (!allowed.includes(w)) return t.die(`invalid argument '${w}' to '${what}'`);
      flags.add(`${what}=${w}`);
    }
  };
  for (const arg of t.args) {
    if (arg === '--') continue;
    const eq = arg.indexOf('=');
    if (eq < 0) return t.usage();
    const key = arg.slice(0, eq);
    const val = arg.slice(eq + 1);
    switch (key) {
      case 'bs':
        ibs = obs = await num(val, 1, MAX_BLOCK);
        break;
      case 'ibs':
        ibs = await num(val, 1, MAX_BLOCK);
        break;
      case 'obs':
        obs = await num(val, 1, MAX_BLOCK);
        break;
      case 'count':
        count = await num(val);
        break;
      case 'seek':
        seek = await num(val);
        break;
      case 'skip':
        skip = await num(val);
        break;
      case 'if':
        infile = val;
        break;
      case 'of':
        outfile = val;
        break;
      case 'conv':
        await words(val, CONV, 'conv');
        break;
      case 'iflag':
        await words(val, IFLAG, 'iflag');
        break;
      case 'oflag':
        await words(val, OFLAG, 'oflag');
        break;
      case 'status':
        if (!(STATUS as readonly string[]).includes(val)) return t.die(`invalid argument '${val}' to 'status'`);
        flags.add(`status=${val}`);
        break;
      default:
        return t.usage();
    }
  }
  const has = (f: string) => flags.has(f);
  const clock = t.ctx.container.clock;
  const began = clock.now();
  const beganHr = process.hrtime.bigint();
  const st = { inFull: 0, inPart: 0, outFull: 0, outPart: 0, bytes: 0 };
  const inName = infile ?? 'standard input';
  const outName = outfile ?? 'standard output';

  // Opens: busybox dies with "can't open" before anything is counted.
  let src: Source;
  if (infile !== undefined && t.stdStream(infile) !== 'stdin') {
    try {
      src = fileSource(t.open(infile, { read: true }));
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`can't open '${infile}': ${err.message}`);
    }
  } else src = streamSource(t);
  let sink: Sink;
  let outHandle: FileHandle | undefined;
  if (outfile !== undefined && t.stdStream(outfile) !== 'stdout') {
    try {
      outHandle = t.open(outfile, {
        write: true,
        create: true,
        truncate: !seek && !has('conv=notrunc'),
        append: has('oflag=append'),
      });
    } catch (err) {
      if (!isFsError(err)) throw err;
      src.close();
      return t.die(`can't open '${outfile}': ${err.message}`);
    }
    sink = fileSink(outHandle);
  } else sink = streamSink(t);

  const summary = async () => {
    if (has('status=none')) return;
    let s = `${st.inFull}+${st.inPart} records in\n${st.outFull}+${st.outPart} records out\n`;
    if (!has('status=noxfer')) {
      let seconds = (clock.now() - began) / 1000;
      if (seconds <= 0) seconds = Number(process.hrtime.bigint() - beganHr) / 1e9;
      const rate = seconds > 0 ? Math.floor(st.bytes / seconds) : st.bytes;
      s += `${st.bytes} bytes (${humanReadable(st.bytes, 1, 0)}B) copied, ${seconds.toFixed(6)} seconds, ${humanReadable(rate, 1, 0)}B/s\n`;
    }
    await t.ctx.stderr.write(s);
  };
  // bb_simple_perror_msg_and_die: no summary after it.
  let quiet = false;
  let release: (() => void) | undefined;
  const dieFile = async (name: string, err: unknown): Promise<number> => {
    quiet = true;
    await t.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  };

  try {
    if (outHandle && seek && !has('conv=notrunc')) {
      const blocksz = has('oflag=seek_bytes') ? 1 : obs;
      try {
        if (outHandle.stat().type === 'file') outHandle.truncate(seek * blocksz);
      } catch (err) {
        if (!isFsError(err)) throw err;
        return dieFile(outName, err);
      }
    }
    if (skip) {
      const blocksz = has('iflag=skip_bytes') ? 1 : ibs;
      if (!src.seek(skip * blocksz)) {
        for (let k = 0; k < skip; k++) {
          try {
            if ((await src.read(blocksz, false)) === null) break;
          } catch (err) {
            if (!isFsError(err)) throw err;
            return dieFile(inName, err);
          }
        }
      }
    }
    if (seek && outHandle) {
      const blocksz = has('oflag=seek_bytes') ? 1 : obs;
      outHandle.seek(seek * blocksz);
    }

    const twoBufs = ibs !== obs;
    // Its buffers are memory charged to the container (OOM past memory.max).
    release = t.ctx.container.allocate?.(twoBufs ? ibs + obs : ibs);
    let obuf: Chunk[] = [];
    let ocount = 0;
    // Writes one output record; false after busybox's message.
    const writeRecord = async (data: Chunk[], len: number): Promise<boolean> => {
      let n = 0;
      let err: FsError | undefined;
      for (const c of data) {
        const r = await sink.write(c);
        n += r.n;
        if (r.err) {
          err = r.err;
          break;
        }
      }
      if (n > 0) st.bytes += n;
      if (!err && n === obs) st.outFull++;
      else if (!err && n === len) st.outPart++;
      else {
        await t.error(`error writing '${outName}': ${(err ?? new FsError('EIO')).message}`);
        return false;
      }
      return true;
    };

    let left = count;
    for (;;) {
      let want = ibs;
      if (count >= 0) {
        if (left === 0) break;
        if (has('iflag=count_bytes') && left < ibs) want = left;
      }
      let data: Chunk[] | null;
      try {
        data = await src.read(want, has('iflag=fullblock'));
      } catch (err) {
        if (!isFsError(err) || err.code === 'EPIPE') throw err;
        if (!has('conv=noerror')) return dieFile(inName, err);
        await t.perror(inName, err);
        src.seek(ibs);
        data = [];
      }
      if (data === null) break;
      let n = total(data);
      if (has('conv=swab')) data = swab(data, n);
      left -= has('iflag=count_bytes') ? n : 1;
      if (n === ibs) st.inFull++;
      else {
        if (n > 0) st.inPart++;
        if (has('conv=sync')) {
          data.push({ fill: 'zero', length: ibs - n, seed: 0, offset: 0 });
          n = ibs;
        }
      }
      if (twoBufs) {
        for (let c of data) {
          while (chunkLength(c) > 0) {
            const room = obs - ocount;
            let piece = c;
            if (chunkLength(c) > room) [piece, c] = split(c, room);
            else c = Buffer.alloc(0);
            obuf.push(piece);
            ocount += chunkLength(piece);
            if (ocount === obs) {
              if (!(await writeRecord(obuf, obs))) return 1;
              obuf = [];
              ocount = 0;
            }
          }
        }
      } else if (n > 0 && !(await writeRecord(data, n))) return 1;
      await t.yield();
    }
    if (has('conv=fsync') || has('conv=fdatasync') || has('oflag=sync') || has('oflag=dsync')) {
      try {
        sink.sync();
      } catch (err) {
        if (!isFsError(err)) throw err;
        return dieFile(outName, err);
      }
    }
    if (ocount > 0 && !(await writeRecord(obuf, ocount))) return 1;
    return 0;
  } catch (err) {
    // Killed, or SIGPIPE on stdout: the process ends without a summary.
    quiet = true;
    throw err;
  } finally {
    release?.();
    src.close();
    sink.close();
    if (!quiet) await summary();
  }
});


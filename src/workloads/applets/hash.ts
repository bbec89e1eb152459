import { createHash } from 'node:crypto';
import { chunkBuffer } from '../procs/streams';
import { isFill, isFsError } from '../rootfs/types';
import { BLOCK, type Tool, applet, fromBin } from './common/tool';
import { openInput } from './text';

// md5sum sha1sum sha256sum sha512sum (and -c), cksum: hashed block by block,
// so a Fill of any size never becomes more than one block of bytes.

const ZEROS = Buffer.alloc(BLOCK);

// Feeds a stream's bytes to `update`, a block at a time.
async function feed(t: Tool, name: string, update: (b: Buffer) => void): Promise<number | undefined> {
  let input;
  try {
    input = t.input(name);
  } catch (err) {
    if (!isFsError(err)) throw err;
    await t.error(`can't open '${name}': ${err.message}`);
    return undefined;
  }
  let total = 0;
  try {
    for (let c = await input.block(); c !== null; c = await input.block()) {
      if (isFill(c) && c.fill === 'zero') {
        for (let left = c.length; left > 0; left -= BLOCK) update(ZEROS.subarray(0, Math.min(BLOCK, left)));
      } else update(chunkBuffer(c));
      total += isFill(c) ? c.length : c.byteLength;
    }
  } catch (err) {
    if (!isFsError(err) || err.code === 'EPIPE') throw err;
    await t.error(`can't read '${name}': ${err.message}`);
    return undefined;
  } finally {
    input.close();
  }
  return total;
}

async function hashFile(t: Tool, algo: string, name: string): Promise<string | undefined> {
  const h = createHash(algo);
  const n = await feed(t, name, (b) => h.update(b));
  return n === undefined ? undefined : h.digest('hex');
}

function hasher(algo: string) {
  return applet(async (t) => {
    const p = t.parse({ short: 'scwbt' });
    if ((p.has('s') || p.has('w')) && !p.has('c')) return t.usage();
    const files = p.operands.length ? p.operands : ['-'];
    let status = 0;
    for (const f of files) {
      if (!p.has('c')) {
        const digest = await hashFile(t, algo, f);
        if (digest === undefined) status = 1;
        else await t.out.text(`${digest}  ${f}\n`);
        continue;
      }
      const list = await openInput(t, f);
      if (!list) return 1;
      // xmalloc_fgetline: a read that fails ends the list, unsaid.
      list.asFgets();
      let total = 0;
      let failed = 0;
      try {
        for (let raw = await list.line(); raw !== null; raw = await list.line()) {
          const line = fromBin(raw);
          total++;
          const sp = line.indexOf(' ');
          if (sp < 0) {
            if (p.has('w')) await t.error('invalid format');
            failed++;
            status = 1;
            continue;
          }
          const want = line.slice(0, sp);
          let name = line.slice(sp + 1);
          if (name[0] === ' ' || name[0] === '*') name = name.slice(1);
          const got = await hashFile(t, algo, name);
          if (got !== undefined && got.toLowerCase() === want.toLowerCase()) {
            if (!p.has('s') && !p.has('\u00ff')) await t.out.text(`${name}: OK\n`);
          } else {
            if (!p.has('s')) await t.out.text(`${name}: FAILED\n`);
            failed++;
            status = 1;
          }
        }
      } finally {
        list.close();
      }
      if (failed && !p.has('s')) await t.error(`WARNING: ${failed} of ${total} computed checksums did NOT match`);
      if (total === 0) {
        status = 1;
        await t.error(`${f}: no checksum lines found`);
      }
    }
    return status;
  });
}

export const md5sum = hasher('md5');
export const sha1sum = hasher('sha1');
export const sha256sum = hasher('sha256');
export const sha512sum = hasher('sha512');

// POSIX cksum: CRC-32 (0x04C11DB7, most significant bit first) over the
// bytes and then the length.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c >>> 0;
  }
  return table;
})();

export const cksum = applet(async (t) => {
  const p = t.parse({});
  const files = p.operands.length ? p.operands : ['-'];
  let status = 0;
  for (const f of files) {
    let crc = 0;
    const n = await feed(t, f, (b) => {
      for (let i = 0; i < b.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b[i]) & 0xff]) >>> 0;
    });
    if (n === undefined) {
      status = 1;
      continue;
    }
    for (let len = n; len > 0; len = Math.floor(len / 256)) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ (len & 0xff)) & 0xff]) >>> 0;
    crc = ~crc >>> 0;
    await t.out.text(p.operands.length ? `${crc} ${n} ${f}\n` : `${crc} ${n}\n`);
  }
  return status;
});

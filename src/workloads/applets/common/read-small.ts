import { chunkBuffer } from '../../procs/streams';
import type { ContainerFs } from '../../rootfs/types';

// A small text file of the container (/etc/passwd, a server's config), up
// to about `limit` bytes; '' when it cannot be read.
export function readSmall(fs: ContainerFs, path: string, limit = 1024 * 1024): string {
  try {
    const fh = fs.open(path, { read: true });
    try {
      const parts: Buffer[] = [];
      let n = 0;
      for (let c = fh.read(65536); c !== null && n < limit; c = fh.read(65536)) {
        const b = chunkBuffer(c);
        parts.push(b);
        n += b.length;
      }
      return Buffer.concat(parts).toString('utf8');
    } finally {
      fh.close();
    }
  } catch {
    return '';
  }
}

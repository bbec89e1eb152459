import { posix } from 'node:path';
import { type Chunk, type ContainerFs, type Stat, isFill, isFsError } from '../rootfs/types';

// A static file server's part (nginx, busybox httpd): which file of the
// container's files a URL path names, and its bytes as a stream.

export type Found =
  | { kind: 'file'; path: string; stat: Stat }
  | { kind: 'dir'; path: string } // a directory named without its trailing slash
  | { kind: 'missing' }
  | { kind: 'forbidden' };

// path: decoded, absolute. index: tried for a path ending in "/".
export function findFile(fs: ContainerFs, root: string, urlPath: string, index: string): Found {
  if (!urlPath.startsWith('/') || urlPath.includes('\0')) return { kind: 'missing' };
  // A path that climbs above the root names nothing under it.
  const clean = posix.normalize(urlPath);
  if (clean.startsWith('/..')) return { kind: 'forbidden' };
  let path = posix.join(root, clean);
  if (urlPath.endsWith('/')) path = posix.join(path, index);
  try {
    const st = fs.stat(path);
    if (st.type === 'dir') return urlPath.endsWith('/') ? { kind: 'forbidden' } : { kind: 'dir', path };
    if (st.type !== 'file') return { kind: 'forbidden' };
    fs.access(path, 4);
    return { kind: 'file', path, stat: st };
  } catch (err) {
    if (isFsError(err, 'EACCES')) return { kind: 'forbidden' };
    if (isFsError(err)) return { kind: 'missing' };
    throw err;
  }
}

export async function* fileChunks(fs: ContainerFs, path: string): AsyncGenerator<Chunk> {
  const h = fs.open(path, { read: true });
  try {
    for (let c = h.read(64 * 1024); c !== null && (isFill(c) ? c.length > 0 : c.byteLength > 0); c = h.read(64 * 1024)) yield c;
  } finally {
    h.close();
  }
}

const MIME: Record<string, string> = {
  html: 'text/html',
  htm: 'text/html',
  shtml: 'text/html',
  css: 'text/css',
  xml: 'text/xml',
  txt: 'text/plain',
  js: 'application/javascript',
  json: 'application/json',
  gif: 'image/gif',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  svg: 'image/svg+xml',
  ico: 'image/x-icon',
  pdf: 'application/pdf',
  tar: 'application/x-tar',
  gz: 'application/gzip',
};

export function mimeType(path: string, fallback = 'application/octet-stream'): string {
  const ext = posix.extname(path).slice(1).toLowerCase();
  return MIME[ext] ?? fallback;
}

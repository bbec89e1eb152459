import { type FileHandle, isFsError } from '../../rootfs/types';
import type { Tool } from './tool';

// glibc's mkstemp: the X's of a template become letters and digits drawn at
// random (mktemp, sed -i's temporary file).
const TEMP_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function tempSuffix(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += TEMP_CHARS[Math.floor(Math.random() * TEMP_CHARS.length)];
  return s;
}

// xmkstemp("NAMEXXXXXX"): a new file beside NAME, mode 0600, or the applet
// dies saying why.
export async function xmkstemp(t: Tool, name: string): Promise<{ name: string; fh: FileHandle }> {
  const tmp = name + tempSuffix(6);
  try {
    return { name: tmp, fh: t.open(tmp, { write: true, create: true, exclusive: true }, 0o600) };
  } catch (err) {
    if (!isFsError(err)) throw err;
    return t.die(`can't create temp file '${tmp}': ${err.message}`);
  }
}

// glibc's mkstemp: the X's of a template become letters and digits drawn at
// random (mktemp, sed -i's temporary file).
const TEMP_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function tempSuffix(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += TEMP_CHARS[Math.floor(Math.random() * TEMP_CHARS.length)];
  return s;
}

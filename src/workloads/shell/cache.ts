import type { Script } from './ast';
import { parseScript } from './parser';

// Parsed scripts by their text. A thousand pods running the same command
// parse it once and share the (immutable) tree. Bounded in entries and in
// the total size of the texts kept; the least recently used go first.
const MAX_ENTRIES = 4096;
const MAX_TEXT = 16 * 1024 * 1024;
// Texts bigger than this are parsed each time, not kept.
const MAX_ONE = 1024 * 1024;

const cache = new Map<string, Script>();
let textSize = 0;
let parses = 0;

// `firstLine`: the number of the text's first line, as ash counts them
// (1 in a file, 0 in `sh -c`, the current line in eval).
export function parseCached(text: string, firstLine = 1): Script {
  const key = `${firstLine}:${text}`;
  const hit = cache.get(key);
  if (hit) {
    // Most recently used last.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  parses++;
  const script = parseScript(text, firstLine);
  if (text.length > MAX_ONE) return script;
  cache.set(key, script);
  textSize += key.length;
  while (cache.size > MAX_ENTRIES || textSize > MAX_TEXT) {
    const oldest = cache.keys().next().value as string;
    cache.delete(oldest);
    textSize -= oldest.length;
  }
  return script;
}

// For tests and the bench: how many parses the cache did not save.
export function parseStats(): { parses: number; entries: number; textSize: number } {
  return { parses, entries: cache.size, textSize };
}

import type { Readable } from 'node:stream';

export interface TerminalSize {
  width: number;
  height: number;
}

// The resize stream: JSON objects one after another ({"Width":80,"Height":24}),
// read as Go's json.Decoder reads them. A value that is not one ends it.
export async function* terminalSizes(input: Readable, maxValue = 4096): AsyncGenerator<TerminalSize> {
  let text = '';
  for await (const chunk of input) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    for (;;) {
      const end = valueEnd(text);
      if (end < 0) break;
      const raw = text.slice(0, end);
      text = text.slice(end);
      let v: { Width?: unknown; Height?: unknown };
      try {
        v = JSON.parse(raw);
      } catch {
        return;
      }
      const width = Number(v?.Width ?? 0);
      const height = Number(v?.Height ?? 0);
      if (Number.isInteger(width) && Number.isInteger(height) && width >= 0 && height >= 0 && width < 65536 && height < 65536) yield { width, height };
    }
    if (text.length > maxValue) return;
  }
}

// Where the first complete JSON object in text ends; -1 when it is not
// complete yet. Leading whitespace is part of it.
function valueEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && !/\s/.test(ch)) return i + 1; // not an object: JSON.parse refuses it
  }
  return -1;
}

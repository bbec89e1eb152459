import { z } from 'zod';
import { parseDuration } from '../domain/duration';
import { parseQuantity } from './quantity';

// Schema pieces shared by the config file, fault rules and behaviours:
// values people write as text, parsed once, with the parser's message on error.
const parsed = <T>(parse: (v: string | number) => T) =>
  z.union([z.string().max(64), z.number()]).transform((v, ctx) => {
    try {
      return parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

// The longest duration anything takes: timers, windows, delays.
export const MAX_DURATION_MS = 365 * 24 * 3600 * 1000;

// "187Mi", "20Gi", 4096 → bytes.
export const quantity = parsed(parseQuantity);

// A rate: the same, with an optional "/s" ("10Mi/s").
export const rate = parsed((v) => parseQuantity(typeof v === 'string' ? v.replace(/\/s$/, '') : v));

// "500ms", "30s", "2m", or milliseconds; at most 365 days.
export const duration = parsed(parseDuration).refine((n) => n <= MAX_DURATION_MS, 'must be at most 365 days');


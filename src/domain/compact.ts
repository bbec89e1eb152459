// Drops what proto3 treats as unset (null, "", false, 0, empty lists and
// objects) from a decoded message, recursively. The kubelet's configs arrive
// with every default filled in; kept whole they cost several KiB per pod,
// and encoding an absent field gives the caller the same default back.
export function compact<T>(value: T): T | undefined {
  if (value === null || value === undefined || value === '' || value === false || value === 0) return undefined;
  if (Array.isArray(value)) {
    const out = value.map((v) => compact(v) ?? (typeof v === 'object' ? {} : v));
    return (out.length ? out : undefined) as T | undefined;
  }
  if (typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    let any = false;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const c = compact(v);
      if (c !== undefined) {
        out[k] = c;
        any = true;
      }
    }
    return (any ? out : undefined) as T | undefined;
  }
  return value;
}

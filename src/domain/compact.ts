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

// LinuxContainerResources' int64 fields, which decode as strings.
const RESOURCE_INT64 = new Set(['cpu_period', 'cpu_quota', 'cpu_shares', 'memory_limit_in_bytes', 'oom_score_adj', 'memory_swap_limit_in_bytes']);

// LinuxContainerResources as JSON without the unset fields ("0" for an int64);
// null when nothing is set.
export function compactResources(r: unknown): object | null {
  if (!r || typeof r !== 'object') return null;
  const set = Object.fromEntries(Object.entries(r).filter(([k, v]) => !(RESOURCE_INT64.has(k) && (v === '0' || v === 0))));
  return compact(set) ?? null;
}

// Parts of the kubelet's configs that many pods send alike (a security
// context, namespace options, the resources of one QoS class, an image
// spec) are kept once for all of them: each object of `value`, innermost
// first, is looked up by its JSON text, and the first one seen is the one
// kept, frozen, since records are never edited in place. A part that names
// its pod (a cgroup parent with the pod's uid) stays its own. The table
// holds a hash of the text, not the text (most parts are a pod's own, and
// their texts would cost more than sharing saves); a hit is compared in
// full. It is bounded: emptied when full, it only shares less for a while.
const MAX_SHARED = 4096;
const shared = new Map<number, object>();

export function share<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) v[k] = share(v[k]);
  const text = JSON.stringify(value);
  const key = hash(text, Array.isArray(value) ? 1 : 2);
  const kept = shared.get(key);
  if (kept) return Array.isArray(kept) === Array.isArray(value) && JSON.stringify(kept) === text ? (kept as T) : value;
  if (shared.size >= MAX_SHARED) shared.clear();
  shared.set(key, Object.freeze(value) as object);
  return value;
}

// FNV-1a over the UTF-16 units, seeded by the kind.
function hash(text: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

// Shared by the List* RPCs. An id filter may be a unique prefix (crictl
// passes what the user typed); it is resolved first and then matched exactly,
// so an unknown or ambiguous prefix gives an empty list, as in containerd.
export function resolveIdFilter<T>(id: string, resolve: (prefix: string) => T | undefined): T | null | undefined {
  if (!id) return undefined; // no filter
  try {
    return resolve(id) ?? null;
  } catch {
    return null;
  }
}

// label_selector is an AND of exact key=value pairs.
export function matchesLabels(labels: Record<string, string>, selector: Record<string, string> | null | undefined): boolean {
  if (!selector) return true;
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

// Whether a List filter leaves every field unset (no filter, '' ids, no
// state, an empty label selector): the kubelet's own relists, whose answers
// are kept whole while their store is unchanged.
export function unfiltered(f: object | null | undefined): boolean {
  if (!f) return true;
  for (const v of Object.values(f)) {
    if (v === null || v === undefined || v === '') continue;
    if (typeof v === 'object' && Object.keys(v).length === 0) continue;
    return false;
  }
  return true;
}

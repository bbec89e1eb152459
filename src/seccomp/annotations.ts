// The annotations that name a seccomp profile as an OCI artifact, as CRI-O
// reads them (internal/config/seccomp/seccompociartifact TryPull, and
// pkg/annotations/v2 GetAnnotationValueWithKey for the v1 fallback).
export const SECCOMP_V2 = 'seccomp-profile.crio.io';
export const SECCOMP_V1 = 'seccomp-profile.kubernetes.cri-o.io';
export const SECCOMP_ANNOTATIONS = [SECCOMP_V2, SECCOMP_V1] as const;

export interface FoundAnnotation {
  ref: string;
  key: string;
  // CRI-O's log line for the step that matched.
  message: string;
}

type Annotations = Record<string, string>;

// The v2 key first, then its v1 twin.
function lookup(annotations: Annotations, suffix: string): { value: string; key: string } | undefined {
  for (const base of SECCOMP_ANNOTATIONS) {
    const key = base + suffix;
    if (Object.hasOwn(annotations, key)) return { value: annotations[key], key };
  }
  return undefined;
}

const trim = (key: string, suffix: string): string => (key.endsWith(suffix) ? key.slice(0, -suffix.length) : key);

// The five steps, in CRI-O's order: pod annotation for the container, pod
// annotation POD, image annotation with the plain key, image annotation for
// the container, image annotation POD.
export function findProfileAnnotation(containerName: string, pod: Annotations, image: Annotations): FoundAnnotation | undefined {
  const own = `/${containerName}`;
  let f = lookup(pod, own);
  if (f) return { ref: f.value, key: f.key, message: `Found container specific seccomp profile annotation: ${f.key}=${f.value}` };
  f = lookup(pod, '/POD');
  if (f) return { ref: f.value, key: f.key, message: `Found pod specific seccomp profile annotation: ${trim(f.key, '/POD')}=${f.value}` };
  f = lookup(image, '');
  if (f) return { ref: f.value, key: f.key, message: `Found image specific seccomp profile annotation: ${f.key}=${f.value}` };
  f = lookup(image, own);
  if (f) {
    return { ref: f.value, key: f.key, message: `Found image specific seccomp profile annotation for container ${containerName}: ${trim(f.key, own)}=${f.value}` };
  }
  f = lookup(image, '/POD');
  if (f) return { ref: f.value, key: f.key, message: `Found image specific seccomp profile annotation for pod: ${trim(f.key, '/POD')}=${f.value}` };
  return undefined;
}

// CRI-O drops every annotation it knows unless allowed_annotations lists its
// prefix (pkg/config Workloads.FilterDisallowedAnnotations); the seccomp keys
// are not allowed by default.
export function filterDisallowed(annotations: Annotations, allowed: readonly string[]): Annotations {
  const disallowed = SECCOMP_ANNOTATIONS.filter((a) => !allowed.includes(a));
  const out: Annotations = {};
  for (const [k, v] of Object.entries(annotations)) if (!disallowed.some((d) => k.startsWith(d))) out[k] = v;
  return out;
}

import { invalidArgument } from '../domain/errors';

// Image references normalised the way containerd and CRI-O do (the
// docker/distribution reference grammar): "nginx" → docker.io/library/nginx:latest.
export interface ImageReference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$|^\[[a-fA-F0-9:]+\](?::[0-9]+)?$/;
const MAX_LENGTH = 4096;

export function parseReference(input: string, field = 'image'): ImageReference {
  const bad = (why: string) => invalidArgument(`${field} "${truncate(input)}" is not a valid image reference: ${why}`);
  if (input === '') throw invalidArgument(`${field} is empty`);
  if (input.length > MAX_LENGTH) throw bad(`longer than ${MAX_LENGTH} characters`);

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('the digest must be sha256: and 64 lowercase hex characters');
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag "${truncate(tag)}" has characters a tag cannot have`);
  }

  let domain = 'docker.io';
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
      if (!DOMAIN.test(domain)) throw bad(`"${truncate(domain)}" is not a registry host`);
    }
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (path === '' || !path.split('/').every((c) => PATH_COMPONENT.test(c))) {
    throw bad('the repository name must be lowercase letters, digits and separators');
  }
  if (!tag && !digest) tag = 'latest';
  return { domain, path, tag, digest };
}

export const repository = (r: ImageReference): string => `${r.domain}/${r.path}`;

// The canonical string: repo:tag, repo@digest or repo:tag@digest.
export function formatReference(r: ImageReference): string {
  return `${repository(r)}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

export function normalizeReference(input: string, field?: string): string {
  return formatReference(parseReference(input, field));
}

const truncate = (s: string): string => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

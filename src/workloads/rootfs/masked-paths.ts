import type { Backend, Node } from './backend';
import { Bind } from './bind';
import { MemTree } from './memory-tree';

// The security context's masked_paths and readonly_paths, as runc applies
// them after every other mount: a masked directory becomes an empty
// read-only tmpfs, a masked file /dev/null bound over it (reads empty, runs
// nothing: EACCES), a read-only path a read-only bind of itself. A path the
// container does not have is left alone, as runc does. Privileged
// containers get neither (containerd drops both).
export type PathRule = 'masked' | 'readonly';

export interface PathRulesView {
  privileged?: boolean;
  masked_paths?: string[];
  readonly_paths?: string[];
}

const NONE: ReadonlyMap<string, PathRule> = new Map();

export function pathRules(sc: PathRulesView | null | undefined, normalise: (p: string) => string): ReadonlyMap<string, PathRule> {
  if (!sc || sc.privileged || (!sc.masked_paths?.length && !sc.readonly_paths?.length)) return NONE;
  const rules = new Map<string, PathRule>();
  for (const p of sc.readonly_paths ?? []) rules.set(normalise(p), 'readonly');
  // Masked wins where a path is in both: runc masks after it remounts.
  for (const p of sc.masked_paths ?? []) rules.set(normalise(p), 'masked');
  return rules;
}

// What a rule mounts over `beneath`, the node the path names without it.
export function ruleMount(rule: PathRule, beneath: { b: Backend; n: Node }, devNull: () => { b: Backend; n: Node }, dev: number): Backend {
  if (rule === 'readonly') return new Bind(beneath.b, beneath.n, true);
  if (beneath.b.attr(beneath.n).type === 'dir') return new MemTree({ dev, readonly: true });
  const nul = devNull();
  return new Bind(nul.b, nul.n, false);
}

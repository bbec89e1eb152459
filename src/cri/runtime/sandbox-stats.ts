import type { Handler } from '../handler';
import { toPodSandboxStats } from '../convert';
import { matchesLabels, resolveIdFilter } from '../filters';
import { requireId } from '../validate';
import type { Encoded } from '../encode';
import { encodePodSandboxStats } from '../stats-encode';
import type { Sandbox } from '../../store/sandbox';
import type { PodSandboxStatsRequest__Output } from '../../generated/runtime/v1/PodSandboxStatsRequest';
import type { PodSandboxStatsResponse } from '../../generated/runtime/v1/PodSandboxStatsResponse';
import type { ListPodSandboxStatsRequest__Output } from '../../generated/runtime/v1/ListPodSandboxStatsRequest';
import type { ListPodSandboxStatsResponse } from '../../generated/runtime/v1/ListPodSandboxStatsResponse';

export const podSandboxStats: Handler<PodSandboxStatsRequest__Output, PodSandboxStatsResponse> = (app, req) => {
  const s = app.sandboxes.store.mustResolve(requireId(req.pod_sandbox_id, 'pod_sandbox_id'));
  return { stats: toPodSandboxStats(app, s) };
};

// Ready sandboxes only, as containerd lists them. Answered pre-encoded: see
// stats-encode.ts.
export const listPodSandboxStats: Handler<ListPodSandboxStatsRequest__Output, ListPodSandboxStatsResponse | Encoded> = (app, req) => {
  const f = req.filter;
  const byId = resolveIdFilter(f?.id ?? '', (p) => app.sandboxes.store.resolve(p));
  if (byId === null) return { stats: [] };
  const selected: Sandbox[] = [];
  for (const s of byId ? [byId] : app.sandboxes.store.values()) {
    if (s.state !== 'SANDBOX_READY') continue;
    if (!matchesLabels(s.labels, f?.label_selector)) continue;
    selected.push(s);
  }
  return encodePodSandboxStats(app, selected);
};

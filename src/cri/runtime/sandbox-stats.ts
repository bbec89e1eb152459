import type { Handler } from '../handler';
import { toPodSandboxStats } from '../convert';
import { type Encoded, WholeListCache } from '../encode';
import { matchesLabels, resolveIdFilter, unfiltered } from '../filters';
import type { ListStreamHandler } from '../list-stream';
import { encodePodSandboxStats, podSandboxStatsEntries } from '../stats-encode';
import { requireId } from '../validate';
import type { App } from '../../app';
import type { Sandbox } from '../../store/sandbox';
import type { PodSandboxStatsFilter__Output } from '../../generated/runtime/v1/PodSandboxStatsFilter';
import type { PodSandboxStatsRequest__Output } from '../../generated/runtime/v1/PodSandboxStatsRequest';
import type { PodSandboxStatsResponse } from '../../generated/runtime/v1/PodSandboxStatsResponse';
import type { ListPodSandboxStatsRequest__Output } from '../../generated/runtime/v1/ListPodSandboxStatsRequest';
import type { ListPodSandboxStatsResponse } from '../../generated/runtime/v1/ListPodSandboxStatsResponse';
import type { StreamPodSandboxStatsRequest__Output } from '../../generated/runtime/v1/StreamPodSandboxStatsRequest';

export const podSandboxStats: Handler<PodSandboxStatsRequest__Output, PodSandboxStatsResponse> = (app, req) => {
  const s = app.sandboxes.store.mustResolve(requireId(req.pod_sandbox_id, 'pod_sandbox_id'));
  return { stats: toPodSandboxStats(app, s) };
};

// The kubelet's list (no filter), kept while no sandbox changes.
const ready = new WholeListCache<Sandbox[]>();

// Ready sandboxes only, as containerd lists them. Answered pre-encoded: see
// stats-encode.ts.
export const listPodSandboxStats: Handler<ListPodSandboxStatsRequest__Output, ListPodSandboxStatsResponse | Encoded> = (app, req) => {
  const f = req.filter;
  return encodePodSandboxStats(app, unfiltered(f) ? ready.get(app.sandboxes.store, () => [...matching(app, null)]) : [...matching(app, f)]);
};

export const streamPodSandboxStats: ListStreamHandler = (app, req: StreamPodSandboxStatsRequest__Output) =>
  podSandboxStatsEntries(app, matching(app, req.filter));

// The filter is checked now; the sandboxes are walked as they are taken.
function matching(app: App, f: PodSandboxStatsFilter__Output | null): Iterable<Sandbox> {
  const byId = resolveIdFilter(f?.id ?? '', (p) => app.sandboxes.store.resolve(p));
  if (byId === null) return [];
  const candidates = byId ? [byId] : app.sandboxes.store.values();
  return (function* () {
    for (const s of candidates) {
      if (s.state !== 'SANDBOX_READY') continue;
      if (!matchesLabels(s.labels, f?.label_selector)) continue;
      yield s;
    }
  })();
}

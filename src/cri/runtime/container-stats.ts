import type { Handler } from '../handler';
import { toContainerStats } from '../convert';
import { type Encoded, WholeListCache } from '../encode';
import { matchesLabels, resolveIdFilter, unfiltered } from '../filters';
import type { ListStreamHandler } from '../list-stream';
import { containerStatsEntries, encodeContainerStats } from '../stats-encode';
import { requireId } from '../validate';
import type { App } from '../../app';
import type { Container } from '../../store/container';
import type { ContainerStatsFilter__Output } from '../../generated/runtime/v1/ContainerStatsFilter';
import type { ContainerStatsRequest__Output } from '../../generated/runtime/v1/ContainerStatsRequest';
import type { ContainerStatsResponse } from '../../generated/runtime/v1/ContainerStatsResponse';
import type { ListContainerStatsRequest__Output } from '../../generated/runtime/v1/ListContainerStatsRequest';
import type { ListContainerStatsResponse } from '../../generated/runtime/v1/ListContainerStatsResponse';
import type { StreamContainerStatsRequest__Output } from '../../generated/runtime/v1/StreamContainerStatsRequest';

export const containerStats: Handler<ContainerStatsRequest__Output, ContainerStatsResponse> = (app, req) => {
  const c = app.containers.store.mustResolve(requireId(req.container_id, 'container_id'));
  return { stats: toContainerStats(app, c) };
};

// The kubelet's list (no filter), kept while no container changes.
const running = new WholeListCache<Container[]>();

// The eviction manager reads the writable layer of every running container
// from here; like containerd, only running containers are listed. Answered
// pre-encoded: see stats-encode.ts.
export const listContainerStats: Handler<ListContainerStatsRequest__Output, ListContainerStatsResponse | Encoded> = (app, req) => {
  const f = req.filter;
  return encodeContainerStats(app, unfiltered(f) ? running.get(app.containers.store, () => [...matching(app, null)]) : [...matching(app, f)]);
};

export const streamContainerStats: ListStreamHandler = (app, req: StreamContainerStatsRequest__Output) =>
  containerStatsEntries(app, matching(app, req.filter));

// The filter is checked now; the containers are walked as they are taken.
function matching(app: App, f: ContainerStatsFilter__Output | null): Iterable<Container> {
  const byId = resolveIdFilter(f?.id ?? '', (p) => app.containers.store.resolve(p));
  const sandbox = resolveIdFilter(f?.pod_sandbox_id ?? '', (p) => app.sandboxes.store.resolve(p));
  if (byId === null || sandbox === null) return [];
  const candidates = byId ? [byId] : sandbox ? app.containers.inSandbox(sandbox.id) : app.containers.store.values();
  return (function* () {
    for (const c of candidates) {
      if (c.state !== 'CONTAINER_RUNNING') continue;
      if (sandbox && c.sandboxId !== sandbox.id) continue;
      if (!matchesLabels(c.labels, f?.label_selector)) continue;
      yield c;
    }
  })();
}

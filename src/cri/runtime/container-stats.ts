import type { Handler } from '../handler';
import { toContainerStats } from '../convert';
import { MessageEncoder, encodeEach } from '../encode';
import { matchesLabels, resolveIdFilter } from '../filters';
import type { ListStreamHandler } from '../list-stream';
import { requireId } from '../validate';
import type { App } from '../../app';
import type { ContainerStats } from '../../generated/runtime/v1/ContainerStats';
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

// The eviction manager reads the writable layer of every running container
// from here; like containerd, only running containers are listed.
export const listContainerStats: Handler<ListContainerStatsRequest__Output, ListContainerStatsResponse> = (app, req) => ({
  stats: [...matching(app, req.filter)],
});

const encoder = new MessageEncoder<ContainerStats>('runtime.v1.ContainerStats');

export const streamContainerStats: ListStreamHandler = (app, req: StreamContainerStatsRequest__Output) => encodeEach(encoder, matching(app, req.filter));

// The filter is checked now; the containers are walked as they are taken.
function matching(app: App, f: ContainerStatsFilter__Output | null): Iterable<ContainerStats> {
  const byId = resolveIdFilter(f?.id ?? '', (p) => app.containers.store.resolve(p));
  const sandbox = resolveIdFilter(f?.pod_sandbox_id ?? '', (p) => app.sandboxes.store.resolve(p));
  if (byId === null || sandbox === null) return [];
  const candidates = byId ? [byId] : sandbox ? app.containers.inSandbox(sandbox.id) : app.containers.store.values();
  return (function* () {
    for (const c of candidates) {
      if (c.state !== 'CONTAINER_RUNNING') continue;
      if (sandbox && c.sandboxId !== sandbox.id) continue;
      if (!matchesLabels(c.labels, f?.label_selector)) continue;
      yield toContainerStats(app, c);
    }
  })();
}

import type { Handler } from '../handler';
import { toContainer } from '../convert';
import { type Encoded, ItemEncoder, WholeListCache, encodeRepeated, entries } from '../encode';
import { matchesLabels, resolveIdFilter, unfiltered } from '../filters';
import type { ListStreamHandler } from '../list-stream';
import { checkEnum } from '../validate';
import type { App } from '../../app';
import type { Container } from '../../store/container';
import type { ContainerFilter__Output } from '../../generated/runtime/v1/ContainerFilter';
import type { ListContainersRequest__Output } from '../../generated/runtime/v1/ListContainersRequest';
import type { ListContainersResponse } from '../../generated/runtime/v1/ListContainersResponse';
import type { StreamContainersRequest__Output } from '../../generated/runtime/v1/StreamContainersRequest';

export const CONTAINER_STATES = ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'] as const;

const encoder = new ItemEncoder<Container>('runtime.v1.Container', toContainer);
const all = new WholeListCache();

// Answered pre-encoded: see encode.ts. The kubelet's relist (no filter) is
// kept whole while no container changes.
export const listContainers: Handler<ListContainersRequest__Output, ListContainersResponse | Encoded> = (app, req) => {
  const f = req.filter;
  if (unfiltered(f)) {
    return all.get(app.containers.store, () => encodeRepeated(1, [...app.containers.store.values()].map((c) => encoder.encode(c))));
  }
  return encodeRepeated(1, matching(app, f));
};

export const streamContainers: ListStreamHandler = (app, req: StreamContainersRequest__Output) => entries(1, matching(app, req.filter));

// The filter is checked now; the containers are walked as they are taken.
function matching(app: App, f: ContainerFilter__Output | null): Iterable<Uint8Array> {
  const state = f?.state ? checkEnum(f.state.state, 'filter.state.state', CONTAINER_STATES) : undefined;
  const byId = resolveIdFilter(f?.id ?? '', (p) => app.containers.store.resolve(p));
  const sandbox = resolveIdFilter(f?.pod_sandbox_id ?? '', (p) => app.sandboxes.store.resolve(p));
  if (byId === null || sandbox === null) return [];
  const candidates = byId ? [byId] : sandbox ? app.containers.inSandbox(sandbox.id) : app.containers.store.values();
  return (function* () {
    for (const c of candidates) {
      if (state && c.state !== state) continue;
      if (sandbox && c.sandboxId !== sandbox.id) continue;
      if (!matchesLabels(c.labels, f?.label_selector)) continue;
      yield encoder.encode(c);
    }
  })();
}

import type { Handler } from '../handler';
import { toContainer } from '../convert';
import { type Encoded, ItemEncoder, WholeListCache, encodeRepeated } from '../encode';
import { matchesLabels, resolveIdFilter } from '../filters';
import { checkEnum } from '../validate';
import type { Container } from '../../store/container';
import type { ListContainersRequest__Output } from '../../generated/runtime/v1/ListContainersRequest';
import type { ListContainersResponse } from '../../generated/runtime/v1/ListContainersResponse';

export const CONTAINER_STATES = ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'] as const;

const encoder = new ItemEncoder<Container>('runtime.v1.Container', toContainer);
const all = new WholeListCache();

// Answered pre-encoded: see encode.ts.
export const listContainers: Handler<ListContainersRequest__Output, ListContainersResponse | Encoded> = (app, req) => {
  const f = req.filter;
  const state = f?.state ? checkEnum(f.state.state, 'filter.state.state', CONTAINER_STATES) : undefined;
  const byId = resolveIdFilter(f?.id ?? '', (p) => app.containers.store.resolve(p));
  const sandbox = resolveIdFilter(f?.pod_sandbox_id ?? '', (p) => app.sandboxes.store.resolve(p));
  if (byId === null || sandbox === null) return { containers: [] };
  if (!state && !byId && !sandbox && !Object.keys(f?.label_selector ?? {}).length) {
    return all.get(app.containers.store, () => encodeRepeated(1, [...app.containers.store.values()].map((c) => encoder.encode(c))));
  }
  const candidates = byId ? [byId] : sandbox ? app.containers.inSandbox(sandbox.id) : app.containers.store.values();
  const containers: Uint8Array[] = [];
  for (const c of candidates) {
    if (state && c.state !== state) continue;
    if (sandbox && c.sandboxId !== sandbox.id) continue;
    if (!matchesLabels(c.labels, f?.label_selector)) continue;
    containers.push(encoder.encode(c));
  }
  return encodeRepeated(1, containers);
};

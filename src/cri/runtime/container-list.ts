import type { Handler } from '../handler';
import { toContainer } from '../convert';
import { matchesLabels, resolveIdFilter } from '../filters';
import { checkEnum } from '../validate';
import type { Container } from '../../generated/runtime/v1/Container';
import type { ListContainersRequest__Output } from '../../generated/runtime/v1/ListContainersRequest';
import type { ListContainersResponse } from '../../generated/runtime/v1/ListContainersResponse';

export const CONTAINER_STATES = ['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'] as const;

export const listContainers: Handler<ListContainersRequest__Output, ListContainersResponse> = (app, req) => {
  const f = req.filter;
  const state = f?.state ? checkEnum(f.state.state, 'filter.state.state', CONTAINER_STATES) : undefined;
  const byId = resolveIdFilter(f?.id ?? '', (p) => app.containers.store.resolve(p));
  const sandbox = resolveIdFilter(f?.pod_sandbox_id ?? '', (p) => app.sandboxes.store.resolve(p));
  if (byId === null || sandbox === null) return { containers: [] };
  const candidates = byId ? [byId] : sandbox ? app.containers.inSandbox(sandbox.id) : app.containers.store.values();
  const containers: Container[] = [];
  for (const c of candidates) {
    if (state && c.state !== state) continue;
    if (sandbox && c.sandboxId !== sandbox.id) continue;
    if (!matchesLabels(c.labels, f?.label_selector)) continue;
    containers.push(toContainer(c));
  }
  return { containers };
};

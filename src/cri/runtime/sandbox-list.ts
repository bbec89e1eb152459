import type { Handler } from '../handler';
import { toPodSandbox } from '../convert';
import { type Encoded, ItemEncoder, WholeListCache, encodeRepeated } from '../encode';
import { matchesLabels, resolveIdFilter } from '../filters';
import { checkEnum } from '../validate';
import type { ListPodSandboxRequest__Output } from '../../generated/runtime/v1/ListPodSandboxRequest';
import type { ListPodSandboxResponse } from '../../generated/runtime/v1/ListPodSandboxResponse';
import type { Sandbox } from '../../store/sandbox';

export const SANDBOX_STATES = ['SANDBOX_READY', 'SANDBOX_NOTREADY'] as const;

const encoder = new ItemEncoder<Sandbox>('runtime.v1.PodSandbox', toPodSandbox);
const all = new WholeListCache();

// Answered pre-encoded: see encode.ts.
export const listPodSandbox: Handler<ListPodSandboxRequest__Output, ListPodSandboxResponse | Encoded> = (app, req) => {
  const f = req.filter;
  const state = f?.state ? checkEnum(f.state.state, 'filter.state.state', SANDBOX_STATES) : undefined;
  const byId = resolveIdFilter(f?.id ?? '', (p) => app.sandboxes.store.resolve(p));
  if (byId === null) return { items: [] };
  if (!state && !byId && !Object.keys(f?.label_selector ?? {}).length) {
    return all.get(app.sandboxes.store, () => encodeRepeated(1, [...app.sandboxes.store.values()].map((s) => encoder.encode(s))));
  }
  const candidates = byId ? [byId] : app.sandboxes.store.values();
  const items: Uint8Array[] = [];
  for (const s of candidates) {
    if (state && s.state !== state) continue;
    if (!matchesLabels(s.labels, f?.label_selector)) continue;
    items.push(encoder.encode(s));
  }
  return encodeRepeated(1, items);
};

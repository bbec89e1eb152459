import type { Handler } from '../handler';
import { toPodSandbox } from '../convert';
import { type Encoded, ItemEncoder, WholeListCache, encodeRepeated, entries } from '../encode';
import { matchesLabels, resolveIdFilter, unfiltered } from '../filters';
import type { ListStreamHandler } from '../list-stream';
import { checkEnum } from '../validate';
import type { App } from '../../app';
import type { ListPodSandboxRequest__Output } from '../../generated/runtime/v1/ListPodSandboxRequest';
import type { ListPodSandboxResponse } from '../../generated/runtime/v1/ListPodSandboxResponse';
import type { PodSandboxFilter__Output } from '../../generated/runtime/v1/PodSandboxFilter';
import type { StreamPodSandboxesRequest__Output } from '../../generated/runtime/v1/StreamPodSandboxesRequest';
import type { Sandbox } from '../../store/sandbox';

export const SANDBOX_STATES = ['SANDBOX_READY', 'SANDBOX_NOTREADY'] as const;

const encoder = new ItemEncoder<Sandbox>('runtime.v1.PodSandbox', toPodSandbox);
const all = new WholeListCache();

// Answered pre-encoded: see encode.ts. The kubelet's relist (no filter) is
// kept whole while no sandbox changes.
export const listPodSandbox: Handler<ListPodSandboxRequest__Output, ListPodSandboxResponse | Encoded> = (app, req) => {
  const f = req.filter;
  if (unfiltered(f)) {
    return all.get(app.sandboxes.store, () => encodeRepeated(1, [...app.sandboxes.store.values()].map((s) => encoder.encode(s))));
  }
  return encodeRepeated(1, matching(app, f));
};

export const streamPodSandboxes: ListStreamHandler = (app, req: StreamPodSandboxesRequest__Output) => entries(1, matching(app, req.filter));

// The filter is checked now; the sandboxes are walked as they are taken.
function matching(app: App, f: PodSandboxFilter__Output | null): Iterable<Uint8Array> {
  const state = f?.state ? checkEnum(f.state.state, 'filter.state.state', SANDBOX_STATES) : undefined;
  const byId = resolveIdFilter(f?.id ?? '', (p) => app.sandboxes.store.resolve(p));
  if (byId === null) return [];
  const candidates = byId ? [byId] : app.sandboxes.store.values();
  return (function* () {
    for (const s of candidates) {
      if (state && s.state !== state) continue;
      if (!matchesLabels(s.labels, f?.label_selector)) continue;
      yield encoder.encode(s);
    }
  })();
}

import type { App } from '../app';
import type { CallInfo } from '../faults/engine';
import { normalizeReference } from '../images/reference';
import type { Sandbox } from '../store/sandbox';

interface RequestView {
  pod_sandbox_id?: string;
  container_id?: string;
  image?: { image?: string } | null;
  config?: { metadata?: { name?: string; namespace?: string; uid?: string } | null; annotations?: Record<string, string>; image?: { image?: string } | null } | null;
  sandbox_config?: { metadata?: { name?: string; namespace?: string; uid?: string } | null; annotations?: Record<string, string> } | null;
}

// What pod, container and image a CRI call is about, for fault rules to
// match on. Only computed when some rule needs it.
export function describeCall(app: App, method: string, request: unknown): CallInfo {
  const r = (request ?? {}) as RequestView;
  const info: CallInfo = { method };
  const fromSandbox = (s: Sandbox | undefined) => {
    if (s) info.pod = { namespace: s.metadata.namespace, name: s.metadata.name, uid: s.metadata.uid, annotations: s.annotations };
  };
  const image = (ref: string | undefined) => {
    if (!ref) return;
    try {
      info.image = normalizeReference(ref);
    } catch {
      // Not a reference: rules on images do not match it.
    }
  };
  try {
    if (method === 'RunPodSandbox' && r.config?.metadata) {
      const m = r.config.metadata;
      info.pod = { namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid ?? '', annotations: r.config.annotations ?? {} };
    } else if (method === 'CreateContainer') {
      fromSandbox(app.sandboxes.store.resolve(r.pod_sandbox_id ?? ''));
      info.container = r.config?.metadata?.name;
      image(r.config?.image?.image);
    } else if (method === 'PullImage') {
      image(r.image?.image);
      const m = r.sandbox_config?.metadata;
      if (m) info.pod = { namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid ?? '', annotations: r.sandbox_config?.annotations ?? {} };
    } else if (r.container_id) {
      const c = app.containers.store.resolve(r.container_id);
      if (c) {
        fromSandbox(app.sandboxes.store.get(c.sandboxId));
        info.container = c.metadata.name;
        image(c.image.image);
      }
    } else if (r.pod_sandbox_id) {
      fromSandbox(app.sandboxes.store.resolve(r.pod_sandbox_id));
    } else if (r.image?.image) {
      image(r.image.image);
    }
  } catch {
    // An ambiguous id prefix: the handler will say so.
  }
  return info;
}

// The short request summary kept by the call recorder. With `app`, an id
// that names a pod or container fakecri keeps is the store's own string,
// not the request's copy: the recorder keeps 10,000 calls, and an id is 80
// bytes.
export function summarizeRequest(method: string, request: unknown, app?: Pick<App, 'sandboxes' | 'containers'>): Record<string, string> {
  const r = (request ?? {}) as RequestView & { timeout?: string; filter?: { label_selector?: Record<string, string>; id?: string } | null; cmd?: string[] };
  const out: Record<string, string> = {};
  if (r.pod_sandbox_id) out.pod_sandbox_id = app?.sandboxes.store.get(r.pod_sandbox_id)?.id ?? r.pod_sandbox_id;
  if (r.container_id) out.container_id = app?.containers.store.get(r.container_id)?.id ?? r.container_id;
  if (r.image?.image) out.image = r.image.image;
  if (r.config?.metadata?.name) out.name = r.config.metadata.name;
  if (r.config?.image?.image) out.image = r.config.image.image;
  if (method === 'RunPodSandbox' && r.config?.metadata) out.pod = `${r.config.metadata.namespace}/${r.config.metadata.name}`;
  if (method === 'StopContainer' && r.timeout !== undefined) out.timeout = String(r.timeout);
  if (method === 'ExecSync' && r.cmd) out.cmd = r.cmd.join(' ').slice(0, 200);
  if (r.filter?.id) out.filter_id = r.filter.id;
  const sel = r.filter?.label_selector;
  if (sel && Object.keys(sel).length) out.label_selector = Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',');
  return out;
}

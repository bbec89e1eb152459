import { z } from 'zod';
import type { App } from '../app';
import { parseQuantity } from '../config/quantity';
import { nanosToDate } from '../domain/clock';
import { notFound } from '../domain/errors';
import type { Container } from '../store/container';
import { parseBehaviour } from '../workloads/behaviour';
import { HttpError } from './http-error';

// The control API's endpoints over the running fakecri. Each takes the
// parsed JSON body and path parameters and returns what is sent back as JSON.
export type Endpoint = (app: App, p: { body: unknown; params: string[]; query: URLSearchParams }) => unknown | Promise<unknown>;

const FS_NAMES = ['imagefs', 'containerfs'] as const;
type FsName = (typeof FS_NAMES)[number];

function parseBody<T extends z.ZodTypeAny>(schema: T, body: unknown): z.output<T> {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.join('.') || undefined;
  const msg = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  throw new HttpError(400, field ? `field "${field}": ${msg}` : msg, field ?? (issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined));
}

function fsName(name: string): FsName {
  if (!(FS_NAMES as readonly string[]).includes(name)) throw new HttpError(404, `no filesystem "${name}" (imagefs or containerfs)`, 'name');
  return name as FsName;
}

const iso = (ns: string) => (ns === '0' ? null : nanosToDate(ns).toISOString());

function containerView(app: App, c: Container) {
  const s = app.sandboxes.store.get(c.sandboxId);
  return {
    id: c.id,
    name: c.metadata.name,
    attempt: c.metadata.attempt,
    pod: s ? `${s.metadata.namespace}/${s.metadata.name}` : '',
    sandboxId: c.sandboxId,
    state: c.state.replace('CONTAINER_', '').toLowerCase(),
    image: c.image.image,
    imageId: c.imageId,
    createdAt: iso(c.createdAt),
    startedAt: iso(c.startedAt),
    finishedAt: iso(c.finishedAt),
    exitCode: c.exitCode,
    reason: c.reason,
    rootfsBytes: c.rootfsBytes ?? 0,
    logPath: c.logPath,
  };
}

const container = (app: App, id: string) => {
  const c = app.containers.store.resolve(id);
  if (!c) throw new HttpError(404, `container "${id}" not found`, 'id');
  return c;
};

// Seconds in 100 years: the longest window an exec script may name.
const MAX_SECONDS = 100 * 365 * 24 * 3600;

const ballastBody = z.object({ fill: z.union([z.string().max(64), z.number()]) }).strict();
const exitBody = z.object({ code: z.number().int().min(0).max(255), reason: z.string().max(1024).optional(), message: z.string().max(4096).default('') }).strict();
const rootfsBody = z.object({ bytes: z.union([z.string().max(64), z.number()]) }).strict();
const execScriptBody = z
  .object({
    from_seconds: z.number().min(0).max(MAX_SECONDS).default(0),
    until_seconds: z.number().min(0).max(MAX_SECONDS).optional(),
    command: z.string().max(4096).optional(),
    exit_code: z.number().int().min(0).max(255),
    // The control API's body is at most 1 MiB, so are these together.
    stdout: z.string().default(''),
    stderr: z.string().default(''),
  })
  .strict();

export const endpoints: Record<string, Endpoint> = {
  'GET status': (app) => ({
    conditions: app.runtimeConditions(),
    sandboxes: app.sandboxes.store.size,
    containers: app.containers.store.size,
    images: app.images.store.size,
    faults: app.faults.list().length,
  }),

  'GET fs': (app) =>
    FS_NAMES.map((name) => {
      const fs = app.fs[name];
      const cap = fs.capacity();
      return {
        name,
        backend: fs.backend,
        mountpoint: fs.mountpoint,
        shared: app.fs.shared,
        ...fs.usage(),
        ...cap,
        ballastBytes: app.ballast.sizes[name],
      };
    }),

  'POST fs/:name/ballast': async (app, { body, params }) => {
    const name = fsName(params[0]);
    const { fill } = parseBody(ballastBody, body);
    let spec: { percent: number } | { bytes: number };
    if (typeof fill === 'string' && fill.trim().endsWith('%')) {
      const percent = Number(fill.trim().slice(0, -1));
      if (!Number.isFinite(percent) || percent < 0 || percent > 100) throw new HttpError(400, `field "fill": "${fill}" is not a percentage from 0% to 100%`, 'fill');
      spec = { percent };
    } else {
      try {
        spec = { bytes: parseQuantity(fill) };
      } catch (err) {
        throw new HttpError(400, `field "fill": ${(err as Error).message}`, 'fill');
      }
    }
    const added = await app.ballast.fill(name, spec);
    return { name, addedBytes: added, ballastBytes: app.ballast.sizes[name] };
  },

  'DELETE fs/:name/ballast': (app, { params }) => {
    const name = fsName(params[0]);
    return { name, freedBytes: app.ballast.drain(name) };
  },

  'GET pods': (app) =>
    [...app.sandboxes.store.values()].map((s) => ({
      id: s.id,
      name: s.metadata.name,
      namespace: s.metadata.namespace,
      uid: s.metadata.uid,
      attempt: s.metadata.attempt,
      state: s.state === 'SANDBOX_READY' ? 'ready' : 'notready',
      ip: s.ips?.[0] ?? '',
      createdAt: iso(s.createdAt),
      containers: app.containers.inSandbox(s.id).length,
    })),

  'GET containers': (app) => [...app.containers.store.values()].map((c) => containerView(app, c)),

  'GET images': (app) =>
    app.images.list().map((i) => ({ id: i.id, tags: i.repoTags, digests: i.repoDigests, size: i.size, layers: i.layers.length, pinned: app.images.isPinned(i) })),

  'GET calls': (app, { query }) => {
    const since = Number(query.get('since') ?? 0);
    const limit = Number(query.get('limit') ?? 0);
    if (!Number.isInteger(since) || since < 0) throw new HttpError(400, `query "since": ${query.get('since')} is not a sequence number`, 'since');
    if (!Number.isInteger(limit) || limit < 0) throw new HttpError(400, `query "limit": ${query.get('limit')} is not a count`, 'limit');
    const methods = query.getAll('rpc').flatMap((r) => r.split(',')).filter(Boolean);
    return app.calls.list({ since, limit, methods });
  },

  'DELETE calls': (app) => ({ cleared: app.calls.clear() }),

  'GET faults': (app) => app.faults.list(),
  'POST faults': (app, { body }) => app.faults.add((body ?? {}) as never, 'api'),
  'GET faults/:id': (app, { params }) => {
    const rule = app.faults.get(params[0]);
    if (!rule) throw new HttpError(404, `fault rule "${params[0]}" not found`, 'id');
    return rule;
  },
  'DELETE faults/:id': (app, { params }) => {
    if (!app.faults.remove(params[0])) throw new HttpError(404, `fault rule "${params[0]}" not found`, 'id');
    return { removed: params[0] };
  },
  'POST faults/:id/release': (app, { params }) => {
    if (!app.faults.release(params[0])) throw new HttpError(404, `fault rule "${params[0]}" not found`, 'id');
    return { released: params[0] };
  },

  'POST containers/:id/exit': (app, { body, params }) => {
    const c = container(app, params[0]);
    const { code, reason, message } = parseBody(exitBody, body);
    if (c.state !== 'CONTAINER_RUNNING') throw new HttpError(409, `container "${c.id}" is ${c.state.replace('CONTAINER_', '').toLowerCase()}, not running`, 'id');
    return containerView(app, app.containers.exit(c.id, code, reason, message));
  },

  'GET containers/:id/behaviour': (app, { params }) => {
    const c = container(app, params[0]);
    return app.workloads.current(c.id);
  },
  'PUT containers/:id/behaviour': (app, { body, params }) => {
    const c = container(app, params[0]);
    let b;
    try {
      b = parseBehaviour(body ?? {}, 'behaviour');
    } catch (err) {
      const field = /field "([^"]+)"/.exec((err as Error).message)?.[1];
      throw new HttpError(400, (err as Error).message, field);
    }
    app.workloads.check(b, c);
    app.workloads.setOverride(c.id, b);
    return app.workloads.current(c.id);
  },
  'DELETE containers/:id/behaviour': (app, { params }) => {
    const c = container(app, params[0]);
    app.workloads.setOverride(c.id, undefined);
    return app.workloads.current(c.id);
  },

  'POST containers/:id/rootfs': async (app, { body, params }) => {
    const c = container(app, params[0]);
    const { bytes } = parseBody(rootfsBody, body);
    let n: number;
    try {
      n = parseQuantity(bytes);
    } catch (err) {
      throw new HttpError(400, `field "bytes": ${(err as Error).message}`, 'bytes');
    }
    return containerView(app, await app.containers.writeRootfs(c.id, n));
  },

  'GET containers/:id/exec-scripts': (app, { params }) => app.execScripts.list(container(app, params[0]).id),
  'POST containers/:id/exec-scripts': (app, { body, params }) => {
    const c = container(app, params[0]);
    return app.execScripts.add({ containerId: c.id, ...parseBody(execScriptBody, body) });
  },
  'DELETE exec-scripts/:id': (app, { params }) => {
    if (!app.execScripts.remove(params[0])) throw notFound(`exec script "${params[0]}" not found`);
    return { removed: params[0] };
  },
};

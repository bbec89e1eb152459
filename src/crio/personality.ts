import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { App } from '../app';
import { containerDirKey } from '../vfs/filesystems';
import { HostFilesystem } from '../vfs/host-backend';
import { CrioCgroups } from './cgroups';
import { createInspectServer } from './http';

// What the crio personality adds to a running fakecri: the inspect API, and
// CRI-O's cgroups for ready sandboxes and running containers.
export interface CrioPersonality {
  inspect: Server;
  cgroups?: CrioCgroups;
  stop(): void;
}

// The infra container's storage: cAdvisor measures <root>/diff for every crio
// cgroup, the sandbox's too, and logs an error each minute for a missing one.
// An empty directory on containerfs, as a pause container's writable layer is.
function infraStorage(app: App): () => void {
  const fs = app.fs.containerfs;
  if (!(fs instanceof HostFilesystem)) return () => {};
  const dir = (id: string) => fs.hostPath(`${containerDirKey(id)}/diff`);
  const make = (id: string) => {
    try {
      mkdirSync(dir(id), { recursive: true });
    } catch (err) {
      app.log.warn({ sandbox: id, err: (err as Error).message }, 'cannot create the infra container storage directory');
    }
  };
  const off = app.events.onSandbox((e) => {
    if (e.type === 'CREATED') make(e.sandbox.id);
    else if (e.type === 'DELETED') rmSync(fs.hostPath(containerDirKey(e.sandbox.id)), { recursive: true, force: true });
  });
  for (const s of app.sandboxes.store.values()) make(s.id);
  return off;
}

export function startCrioPersonality(app: App): CrioPersonality {
  const inspect = createInspectServer(app);
  const offInfra = infraStorage(app);
  const close = () => {
    offInfra();
    inspect.close();
  };
  if (!app.config.crio.cgroups) return { inspect, stop: close };
  const cgroups = new CrioCgroups(app.config.crio.cgroup_root, app.config.runtime.cgroup_driver, app.log);
  if (cgroups.unavailable) {
    app.log.warn(
      { reason: cgroups.unavailable },
      'crio personality without cgroups: on its cAdvisor path the kubelet sees no pod or container CPU, memory or network stats, and no per-container rootfs usage',
    );
    return { inspect, cgroups, stop: close };
  }
  const parentOf = (sandboxId: string) => app.sandboxes.store.get(sandboxId)?.cgroupParent ?? '';
  const offContainers = app.events.onContainer((e) => {
    if (e.type === 'STARTED') cgroups.create(parentOf(e.container.sandboxId), e.container.id);
    else cgroups.remove(parentOf(e.container.sandboxId), e.container.id);
  });
  const offSandboxes = app.events.onSandbox((e) => {
    if (e.type === 'CREATED') cgroups.create(e.sandbox.cgroupParent, e.sandbox.id);
    else cgroups.remove(e.sandbox.cgroupParent, e.sandbox.id);
  });
  // What was running before a restart has its cgroups again.
  for (const s of app.sandboxes.store.values()) if (s.state === 'SANDBOX_READY') cgroups.create(s.cgroupParent, s.id);
  for (const c of app.containers.store.values()) if (c.state === 'CONTAINER_RUNNING') cgroups.create(parentOf(c.sandboxId), c.id);
  app.log.info({ controllers: cgroups.controllers, driver: app.config.runtime.cgroup_driver }, 'crio personality: cgroups per running container and ready sandbox, each held by one idle process');
  return {
    inspect,
    cgroups,
    stop: () => {
      offContainers();
      offSandboxes();
      cgroups.release();
      close();
    },
  };
}

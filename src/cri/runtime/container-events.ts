import type { App } from '../../app';
import type { ContainerEventType } from '../../pods/events';
import type { StreamHandler } from '../server';
import { toContainerStatus, toPodSandboxStatus } from '../convert';
import { nowNanos } from '../../domain/clock';
import type { ContainerEventResponse } from '../../generated/runtime/v1/ContainerEventResponse';

const TYPES: Record<ContainerEventType, ContainerEventResponse['container_event_type']> = {
  CREATED: 'CONTAINER_CREATED_EVENT',
  STARTED: 'CONTAINER_STARTED_EVENT',
  STOPPED: 'CONTAINER_STOPPED_EVENT',
  DELETED: 'CONTAINER_DELETED_EVENT',
};

// The Evented PLEG's feed: each container event with the sandbox status and
// the statuses of the sandbox's containers at that moment.
export const getContainerEvents: StreamHandler = (app: App, _req, write, signal) => {
  const off = app.events.onContainer((e) => {
    const sandbox = app.sandboxes.store.get(e.container.sandboxId);
    const message: ContainerEventResponse = {
      container_id: e.container.id,
      container_event_type: TYPES[e.type],
      created_at: nowNanos(),
      pod_sandbox_status: sandbox ? toPodSandboxStatus(sandbox) : null,
      containers_statuses: sandbox ? app.containers.inSandbox(sandbox.id).map(toContainerStatus) : [toContainerStatus(e.container)],
    };
    write(message);
  });
  signal.addEventListener('abort', off, { once: true });
};

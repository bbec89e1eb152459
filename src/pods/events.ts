import { EventEmitter } from 'node:events';
import type { Container } from '../store/container';
import type { Sandbox } from '../store/sandbox';

// Lifecycle events of the pods and containers, for whoever reacts to them:
// the workload runner, the fault engine, GetContainerEvents.
export type ContainerEventType = 'CREATED' | 'STARTED' | 'STOPPED' | 'DELETED';

export interface ContainerEvent {
  type: ContainerEventType;
  container: Container;
}

export interface SandboxEvent {
  type: 'CREATED' | 'STOPPED' | 'DELETED';
  sandbox: Sandbox;
}

export class PodEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  container(type: ContainerEventType, container: Container): void {
    this.emitter.emit('container', { type, container } satisfies ContainerEvent);
  }

  sandbox(type: SandboxEvent['type'], sandbox: Sandbox): void {
    this.emitter.emit('sandbox', { type, sandbox } satisfies SandboxEvent);
  }

  onContainer(listener: (e: ContainerEvent) => void): () => void {
    this.emitter.on('container', listener);
    return () => this.emitter.off('container', listener);
  }

  onSandbox(listener: (e: SandboxEvent) => void): () => void {
    this.emitter.on('sandbox', listener);
    return () => this.emitter.off('sandbox', listener);
  }
}

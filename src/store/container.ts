import { failedPrecondition } from '../domain/errors';
import type { StringMap } from './sandbox';

/*
 Container states (CRI ContainerState):

   CreateContainer          StartContainer          exit / StopContainer
  ─────────────────▶ CREATED ──────────────▶ RUNNING ────────────────────▶ EXITED
                        │                                                   ▲
                        └──────────── StopPodSandbox / start failure ───────┘

 RemoveContainer removes from any state (a running container is killed first).
*/
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED';

const allowed: Record<ContainerState, ContainerState[]> = {
  CONTAINER_CREATED: ['CONTAINER_RUNNING', 'CONTAINER_EXITED'],
  CONTAINER_RUNNING: ['CONTAINER_EXITED'],
  CONTAINER_EXITED: [],
};

export function setContainerState(container: Container, to: ContainerState): void {
  if (!allowed[container.state].includes(to)) {
    throw failedPrecondition(
      `container "${container.id}" is ${stateWord(container.state)}, it cannot become ${stateWord(to)}`,
    );
  }
  container.state = to;
}

export const stateWord = (s: ContainerState): string => s.slice('CONTAINER_'.length).toLowerCase();

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface Container {
  id: string;
  sandboxId: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  createdAt: string;
  startedAt: string; // "0" until started
  finishedAt: string; // "0" until exited
  exitCode: number;
  reason: string;
  message: string;
  // The image as the kubelet named it (ImageSpec), and the one image id
  // (sha256 config digest) it resolved to.
  image: { image: string; annotations: StringMap; user_specified_image: string; runtime_handler: string };
  imageId: string;
  labels: StringMap;
  annotations: StringMap;
  logPath: string; // absolute
  // The writable layer's bytes (as du counts them, on containerfs) after
  // the last rootfs_write; live usage is App.containerUsage's.
  rootfsBytes: number;
  pid: number;
  // Echoed or inspected parts of ContainerConfig (mounts, resources, linux
  // security context, command, envs...), as plain JSON.
  mounts: unknown[];
  resources: unknown;
  config: unknown;
  // The effective seccomp profile, resolved at CreateContainer. Absent in
  // records written before fakecri resolved seccomp: unconfined.
  seccomp?: ContainerSeccomp;
  // Who its processes run as, decided at CreateContainer from the security
  // context and the image's /etc/passwd and /etc/group (ContainerStatus.user).
  // groups: every group, the primary one first, as the OCI spec's additionalGids.
  user?: { uid: number; gid: number; groups: number[] };
  // A container restored from a checkpoint archive: its program replays,
  // without writing, from the checkpointed container's start to the moment
  // of the checkpoint, then carries on (what CRIU's restore gives).
  restoredFrom?: RestoredFrom;
  // Where its program had got when fakecri stopped (ProgramPosition: its
  // sleeps, writes since the last, and time): after the restart it replays
  // to there, writing nothing. Used once, then cleared.
  programAt?: { sleeps: number; n: number; t: number };
}

export interface RestoredFrom {
  archive: string;
  startedMs: number;
  checkpointedMs: number;
}

export interface ContainerSeccomp {
  // CRI-O's seccomp ref: "Unconfined", "RuntimeDefault", the Localhost path,
  // or the OCI artifact reference it came from.
  profile: string;
  // runtime-spec linux.seccomp; null when unconfined.
  spec: object | null;
}

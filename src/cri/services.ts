import type { Handler } from './handler';
import type { StreamHandler } from './server';
import { getContainerEvents } from './runtime/container-events';
import { execSync } from './runtime/container-exec';
import { attach, exec } from './runtime/container-stream';
import { containerStats, listContainerStats } from './runtime/container-stats';
import { createContainer } from './runtime/container-create';
import { listContainers } from './runtime/container-list';
import { reopenContainerLog } from './runtime/container-log';
import { removeContainer } from './runtime/container-remove';
import { startContainer } from './runtime/container-start';
import { containerStatus } from './runtime/container-status';
import { stopContainer } from './runtime/container-stop';
import { updateContainerResources } from './runtime/container-update';
import { runtimeConfig, updateRuntimeConfig } from './runtime/runtime-config';
import { listPodSandbox } from './runtime/sandbox-list';
import { portForward } from './runtime/sandbox-port-forward';
import { removePodSandbox } from './runtime/sandbox-remove';
import { runPodSandbox } from './runtime/sandbox-run';
import { listPodSandboxStats, podSandboxStats } from './runtime/sandbox-stats';
import { podSandboxStatus } from './runtime/sandbox-status';
import { stopPodSandbox } from './runtime/sandbox-stop';
import { updatePodSandboxResources } from './runtime/sandbox-update';
import { status } from './runtime/status';
import { version } from './runtime/version';
import { imageFsInfo } from './image/image-fs-info';
import { listImages } from './image/image-list';
import { pullImage } from './image/image-pull';
import { removeImage } from './image/image-remove';
import { imageStatus } from './image/image-status';

// RPC name → handler. Every RPC of the pinned proto appears here or in
// NOT_YET, so a reader finds the code for an RPC from its name.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyHandler = Handler<any, any>;

export const RUNTIME_HANDLERS: Record<string, AnyHandler> = {
  Version: version,
  Status: status,
  RuntimeConfig: runtimeConfig,
  UpdateRuntimeConfig: updateRuntimeConfig,
  RunPodSandbox: runPodSandbox,
  StopPodSandbox: stopPodSandbox,
  RemovePodSandbox: removePodSandbox,
  PodSandboxStatus: podSandboxStatus,
  ListPodSandbox: listPodSandbox,
  CreateContainer: createContainer,
  StartContainer: startContainer,
  StopContainer: stopContainer,
  RemoveContainer: removeContainer,
  ListContainers: listContainers,
  ContainerStatus: containerStatus,
  UpdateContainerResources: updateContainerResources,
  ReopenContainerLog: reopenContainerLog,
  ExecSync: execSync,
  Exec: exec,
  Attach: attach,
  PortForward: portForward,
  ContainerStats: containerStats,
  ListContainerStats: listContainerStats,
  PodSandboxStats: podSandboxStats,
  ListPodSandboxStats: listPodSandboxStats,
  UpdatePodSandboxResources: updatePodSandboxResources,
};

export const IMAGE_HANDLERS: Record<string, AnyHandler> = {
  ListImages: listImages,
  ImageStatus: imageStatus,
  PullImage: pullImage,
  RemoveImage: removeImage,
  ImageFsInfo: imageFsInfo,
};

export const STREAM_HANDLERS: Record<string, StreamHandler> = {
  GetContainerEvents: getContainerEvents,
};

// Registered, answering UNIMPLEMENTED with the reason, until their own issue.
export const NOT_YET: Record<string, string> = {
  CheckpointContainer: 'checkpointing is not supported by fakecri',
  ListMetricDescriptors: 'CRI metrics are not implemented yet',
  ListPodSandboxMetrics: 'CRI metrics are not implemented yet',
  StreamPodSandboxes: 'StreamPodSandboxes is not implemented yet',
  StreamContainers: 'StreamContainers is not implemented yet',
  StreamContainerStats: 'StreamContainerStats is not implemented yet',
  StreamPodSandboxStats: 'StreamPodSandboxStats is not implemented yet',
  StreamPodSandboxMetrics: 'StreamPodSandboxMetrics is not implemented yet',
  StreamImages: 'StreamImages is not implemented yet',
};

export const CRI_RPC_NAMES: readonly string[] = [
  ...Object.keys(RUNTIME_HANDLERS),
  ...Object.keys(IMAGE_HANDLERS),
  ...Object.keys(STREAM_HANDLERS),
  ...Object.keys(NOT_YET),
];

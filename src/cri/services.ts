import type { Handler } from './handler';
import type { ListStreamHandler } from './list-stream';
import type { StreamHandler } from './server';
import { checkpointContainer } from './runtime/container-checkpoint';
import { getContainerEvents } from './runtime/container-events';
import { execSync } from './runtime/container-exec';
import { attach, exec } from './runtime/container-stream';
import { containerStats, listContainerStats, streamContainerStats } from './runtime/container-stats';
import { createContainer } from './runtime/container-create';
import { listContainers, streamContainers } from './runtime/container-list';
import { reopenContainerLog } from './runtime/container-log';
import { removeContainer } from './runtime/container-remove';
import { startContainer } from './runtime/container-start';
import { containerStatus } from './runtime/container-status';
import { stopContainer } from './runtime/container-stop';
import { updateContainerResources } from './runtime/container-update';
import { runtimeConfig, updateRuntimeConfig } from './runtime/runtime-config';
import { listMetricDescriptors, listPodSandboxMetrics, streamPodSandboxMetrics } from './runtime/metrics';
import { listPodSandbox, streamPodSandboxes } from './runtime/sandbox-list';
import { portForward } from './runtime/sandbox-port-forward';
import { removePodSandbox } from './runtime/sandbox-remove';
import { runPodSandbox } from './runtime/sandbox-run';
import { listPodSandboxStats, podSandboxStats, streamPodSandboxStats } from './runtime/sandbox-stats';
import { podSandboxStatus } from './runtime/sandbox-status';
import { stopPodSandbox } from './runtime/sandbox-stop';
import { updatePodSandboxResources } from './runtime/sandbox-update';
import { status } from './runtime/status';
import { version } from './runtime/version';
import { imageFsInfo } from './image/image-fs-info';
import { listImages, streamImages } from './image/image-list';
import { pullImage } from './image/image-pull';
import { removeImage } from './image/image-remove';
import { imageStatus } from './image/image-status';

// RPC name → handler. Every RPC of the pinned proto appears here, so a
// reader finds the code for an RPC from its name; one that does not (a newer
// proto) answers UNIMPLEMENTED (server.ts).
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
  CheckpointContainer: checkpointContainer,
  ListMetricDescriptors: listMetricDescriptors,
  ListPodSandboxMetrics: listPodSandboxMetrics,
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

// The Stream* lists (v0.36): the same items as their unary twin, in batches.
export const LIST_STREAMS: Record<string, ListStreamHandler> = {
  StreamPodSandboxes: streamPodSandboxes,
  StreamContainers: streamContainers,
  StreamContainerStats: streamContainerStats,
  StreamPodSandboxStats: streamPodSandboxStats,
  StreamImages: streamImages,
  StreamPodSandboxMetrics: streamPodSandboxMetrics,
};

// What a unary list too big for one message points the caller to.
export const STREAMED_TWIN: Record<string, string> = {
  ListPodSandbox: 'StreamPodSandboxes',
  ListContainers: 'StreamContainers',
  ListContainerStats: 'StreamContainerStats',
  ListPodSandboxStats: 'StreamPodSandboxStats',
  ListPodSandboxMetrics: 'StreamPodSandboxMetrics',
  ListImages: 'StreamImages',
};

export const CRI_RPC_NAMES: readonly string[] = [
  ...Object.keys(RUNTIME_HANDLERS),
  ...Object.keys(IMAGE_HANDLERS),
  ...Object.keys(STREAM_HANDLERS),
  ...Object.keys(LIST_STREAMS),
];

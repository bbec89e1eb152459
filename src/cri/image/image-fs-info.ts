import type { Handler } from '../handler';
import { toFilesystemUsage } from '../convert';
import type { ImageFsInfoRequest__Output } from '../../generated/runtime/v1/ImageFsInfoRequest';
import type { ImageFsInfoResponse } from '../../generated/runtime/v1/ImageFsInfoResponse';

// The kubelet takes used bytes from here and capacity from statfs of the
// mountpoint, so both entries must name directories that exist.
export const imageFsInfo: Handler<ImageFsInfoRequest__Output, ImageFsInfoResponse> = (app) => ({
  image_filesystems: [toFilesystemUsage(app.imageFsUsage())],
  container_filesystems: [toFilesystemUsage(app.containerFsUsage())],
});

import type { Handler } from '../handler';
import type { VersionRequest__Output } from '../../generated/runtime/v1/VersionRequest';
import type { VersionResponse } from '../../generated/runtime/v1/VersionResponse';
import { PACKAGE_VERSION } from '../../version';

// The kubelet refuses any `version` but "0.1.0" (kuberuntime_manager.go), and
// cri-client requires all four fields to be set.
export const version: Handler<VersionRequest__Output, VersionResponse> = (app) => ({
  version: '0.1.0',
  runtime_name: app.config.runtime.name,
  runtime_version: PACKAGE_VERSION,
  runtime_api_version: 'v1',
});

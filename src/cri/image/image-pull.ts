import type { Handler } from '../handler';
import { compact } from '../../domain/compact';
import { sleep } from '../../domain/sleep';
import { requireMessage } from '../validate';
import type { PullImageRequest__Output } from '../../generated/runtime/v1/PullImageRequest';
import type { PullImageResponse } from '../../generated/runtime/v1/PullImageResponse';

// image_ref is the image id (config digest), the same id ListImages reports.
// auth (the pod's pull secret) is used for registries pulled from for real.
// images.pull_latency delays every pull first; a caller whose deadline
// passes meanwhile gets DEADLINE_EXCEEDED, as from a real registry.
export const pullImage: Handler<PullImageRequest__Output, PullImageResponse> = async (app, req, ctx) => {
  const spec = requireMessage(req.image, 'image');
  if (app.config.images.pull_latency > 0) await sleep(app.config.images.pull_latency, ctx.signal);
  const image = await app.images.pull(spec.image, compact(req.auth) ?? undefined);
  return { image_ref: image.id };
};

import type { Handler } from '../handler';
import { requireMessage } from '../validate';
import type { PullImageRequest__Output } from '../../generated/runtime/v1/PullImageRequest';
import type { PullImageResponse } from '../../generated/runtime/v1/PullImageResponse';

// image_ref is the image id (config digest), the same id ListImages reports.
export const pullImage: Handler<PullImageRequest__Output, PullImageResponse> = async (app, req) => {
  const spec = requireMessage(req.image, 'image');
  const image = await app.images.pull(spec.image);
  return { image_ref: image.id };
};

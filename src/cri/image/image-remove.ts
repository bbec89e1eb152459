import type { Handler } from '../handler';
import { MAX_PATH, requireMessage, requireString } from '../validate';
import type { RemoveImageRequest__Output } from '../../generated/runtime/v1/RemoveImageRequest';
import type { RemoveImageResponse } from '../../generated/runtime/v1/RemoveImageResponse';

// By id, tag or digest; removes every tag of the image. Unknown is success.
export const removeImage: Handler<RemoveImageRequest__Output, RemoveImageResponse> = async (app, req) => {
  const spec = requireMessage(req.image, 'image');
  await app.removeImage(requireString(spec.image, 'image.image', MAX_PATH));
  return {};
};

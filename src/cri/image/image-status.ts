import type { Handler } from '../handler';
import { toImage } from '../convert';
import { MAX_PATH, requireMessage, requireString } from '../validate';
import type { ImageStatusRequest__Output } from '../../generated/runtime/v1/ImageStatusRequest';
import type { ImageStatusResponse } from '../../generated/runtime/v1/ImageStatusResponse';

// An unknown image is an empty answer, not an error: that is how the kubelet
// learns it has to pull.
export const imageStatus: Handler<ImageStatusRequest__Output, ImageStatusResponse> = (app, req) => {
  const spec = requireMessage(req.image, 'image');
  const image = app.images.find(requireString(spec.image, 'image.image', MAX_PATH));
  if (!image) return { image: null };
  const response: ImageStatusResponse = { image: toImage(app, image) };
  if (req.verbose) {
    response.info = { info: JSON.stringify({ id: image.id, layers: image.layers, createdAt: image.createdAt }) };
  }
  return response;
};

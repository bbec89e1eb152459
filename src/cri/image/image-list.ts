import type { Handler } from '../handler';
import { toImage } from '../convert';
import type { Image } from '../../generated/runtime/v1/Image';
import type { ListImagesRequest__Output } from '../../generated/runtime/v1/ListImagesRequest';
import type { ListImagesResponse } from '../../generated/runtime/v1/ListImagesResponse';

export const listImages: Handler<ListImagesRequest__Output, ListImagesResponse> = (app, req) => {
  const wanted = req.filter?.image?.image;
  if (wanted) {
    const one = app.images.find(wanted);
    return { images: one ? [toImage(app, one)] : [] };
  }
  const images: Image[] = app.images.list().map((i) => toImage(app, i));
  return { images };
};

import type { Handler } from '../handler';
import { toImage } from '../convert';
import { MessageEncoder, encodeEach, entries } from '../encode';
import type { ListStreamHandler } from '../list-stream';
import type { App } from '../../app';
import type { Image } from '../../generated/runtime/v1/Image';
import type { ImageFilter__Output } from '../../generated/runtime/v1/ImageFilter';
import type { ListImagesRequest__Output } from '../../generated/runtime/v1/ListImagesRequest';
import type { ListImagesResponse } from '../../generated/runtime/v1/ListImagesResponse';
import type { StreamImagesRequest__Output } from '../../generated/runtime/v1/StreamImagesRequest';

export const listImages: Handler<ListImagesRequest__Output, ListImagesResponse> = (app, req) => ({
  images: [...matching(app, req.filter)],
});

const encoder = new MessageEncoder<Image>('runtime.v1.Image');

export const streamImages: ListStreamHandler = (app, req: StreamImagesRequest__Output) => entries(1, encodeEach(encoder, matching(app, req.filter)));

function* matching(app: App, f: ImageFilter__Output | null): Generator<Image> {
  const wanted = f?.image?.image;
  if (wanted) {
    const one = app.images.find(wanted);
    if (one) yield toImage(app, one);
    return;
  }
  for (const i of app.images.list()) yield toImage(app, i);
}

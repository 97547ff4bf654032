import { insertThumbnails, listThumbnails } from "../db/imageQueries.js";
import type { ImageRow, NewThumbnailRow } from "../db/rows.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import { UpstageError } from "../errors/UpstageError.js";
import { formatOfContentType } from "../images/imageFormat.js";
import { renderThumbnails } from "../images/renderThumbnails.js";
import type { CropRect } from "../images/ThumbnailSpec.js";
import type { Knex } from "knex";
import { presetSpecs } from "./presetSpecs.js";
import type { StagingDeps } from "./StagingDeps.js";
import { thumbnailKey } from "../storage/storageKey.js";
import { variantOf } from "../images/ThumbnailSpec.js";
import { intendFiles, settleFiles } from "./fileIntents.js";
import { storeThumbnails } from "./storeThumbnails.js";

/** The crop an image was committed with, or null. */
export function cropOf(image: ImageRow): CropRect | null {
  if (image.crop_x === null || image.crop_y === null || image.crop_width === null || image.crop_height === null) return null;
  return { x: image.crop_x, y: image.crop_y, width: image.crop_width, height: image.crop_height };
}

/**
 * @throws UpstageError BAD_USER_INPUT unless the crop is a region of at least one pixel inside the image.
 */
export function checkCrop(crop: CropRect, image: Pick<ImageRow, "width" | "height">): void {
  const whole = [crop.x, crop.y, crop.width, crop.height].every(Number.isInteger);
  if (!whole || crop.x < 0 || crop.y < 0 || crop.width < 1 || crop.height < 1 || crop.x + crop.width > image.width || crop.y + crop.height > image.height) {
    throw new UpstageError(
      ErrorCode.BadUserInput,
      `Expected a crop inside the image (${image.width}×${image.height}) but received x ${crop.x}, y ${crop.y}, width ${crop.width}, height ${crop.height}.`,
    );
  }
}

/** A crop made ready before the commit's transaction: its preset thumbnails, rendered and stored. */
export interface PreparedCrop {
  readonly crop: CropRect;
  readonly thumbnails: readonly NewThumbnailRow[];
}

/** Renders and stores the image's preset thumbnails from the crop, before anything is committed. */
export async function prepareCrop(deps: Pick<StagingDeps, "storage" | "options" | "knex" | "instance" | "images">, image: ImageRow, crop: CropRect): Promise<PreparedCrop> {
  checkCrop(crop, image);
  const specs = presetSpecs(deps.options.presets, formatOfContentType(image.content_type)).map((spec) => ({ ...spec, crop }));
  const rendered = await deps.images.run(() => renderThumbnails(deps.storage.read(image.storage_key), specs, deps.options.jpegEncoder));
  // Intent before bytes: applyCrop settles them in the commit's transaction.
  await intendFiles(deps, rendered.map(({ spec }) => thumbnailKey(image.storage_key, variantOf(spec))));
  return { crop, thumbnails: await storeThumbnails(deps.storage, image, rendered) };
}

/**
 * Inside the commit's transaction: records the crop and puts the cropped
 * presets in place of the thumbnails made from the whole original.
 * @returns the storage keys of the thumbnails it took off the image.
 */
export async function applyCrop(trx: Knex.Transaction, imageId: string, prepared: PreparedCrop): Promise<string[]> {
  const { crop } = prepared;
  await trx<ImageRow>("images").where({ id: imageId }).update({ crop_x: crop.x, crop_y: crop.y, crop_width: crop.width, crop_height: crop.height });
  const previous = await listThumbnails(trx, imageId);
  await trx("thumbnails").where({ image_id: imageId }).delete();
  await insertThumbnails(trx, prepared.thumbnails.map((t) => ({ ...t, image_id: imageId })));
  await settleFiles(trx, prepared.thumbnails.map((t) => t.storage_key));
  return previous.map((t) => t.storage_key);
}

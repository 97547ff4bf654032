import type { Knex } from "knex";
import sharp, { type Sharp } from "sharp";
import { insertThumbnails, takeThumbnails, updateFraming } from "../db/imageQueries.js";
import type { ImageRow, NewThumbnailRow } from "../db/rows.js";
import { refusals } from "../errors/refusals.js";
import { formatOfContentType } from "../images/imageFormat.js";
import { renderThumbnails } from "../images/renderThumbnails.js";
import { sampleImage } from "../images/sampleImage.js";
import { type CropRect, type FocalPoint, variantOf } from "../images/ThumbnailSpec.js";
import { thumbnailKey } from "../storage/storageKey.js";
import { abandonFiles, intendFiles, settleFiles } from "./fileIntents.js";
import { presetSpecs } from "./renditionPolicy.js";
import type { StagingDeps } from "./StagingDeps.js";
import { storeThumbnails } from "./storeThumbnails.js";

/** How an image's renditions are cut: from its crop (or the whole), around its focal point. */
export interface Framing {
  readonly crop: CropRect | null;
  readonly focus: FocalPoint;
}

/** A focal point as a client sends it: 0..1 of the width and height. */
export interface FocalPointInput {
  readonly x: number;
  readonly y: number;
}

/** What a commit or an update asks to change; undefined leaves it, a null focal point goes back to automatic. */
export interface FramingChanges {
  readonly crop?: CropRect | undefined;
  readonly focalPoint?: FocalPointInput | null | undefined;
}

/** The crop an image was committed with, or null. */
export function cropOf(image: ImageRow): CropRect | null {
  if (image.crop_x === null || image.crop_y === null || image.crop_width === null || image.crop_height === null) return null;
  return { x: image.crop_x, y: image.crop_y, width: image.crop_width, height: image.crop_height };
}

/** The image's focal point, or null for an image staged before it was sampled (completeImage.ts fills it in). */
export function focusOf(image: ImageRow): FocalPoint | null {
  if (image.focal_x === null || image.focal_y === null) return null;
  return { x: image.focal_x, y: image.focal_y, auto: image.focal_auto };
}

/**
 * @throws UpstageError BAD_USER_INPUT unless the crop is a region of at least one pixel inside the image.
 */
function checkCrop(crop: CropRect, image: Pick<ImageRow, "width" | "height">): void {
  const whole = [crop.x, crop.y, crop.width, crop.height].every(Number.isInteger);
  if (
    !whole ||
    crop.x < 0 ||
    crop.y < 0 ||
    crop.width < 1 ||
    crop.height < 1 ||
    crop.x + crop.width > image.width ||
    crop.y + crop.height > image.height
  ) {
    throw refusals.cropOutside(image, crop);
  }
}

/**
 * A chosen point, kept to thousandths (the precision of its variant names).
 * @throws UpstageError BAD_USER_INPUT unless x and y are each from 0 to 1.
 */
function chosenFocalPoint(point: FocalPointInput): FocalPoint {
  for (const [name, value] of [
    ["x", point.x],
    ["y", point.y],
  ] as const) {
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw refusals.focalPointOutside(name, value);
    }
  }
  return { x: Math.round(point.x * 1000) / 1000, y: Math.round(point.y * 1000) / 1000, auto: false };
}

/** A framing made ready before a transaction: its preset thumbnails, rendered and stored. */
export interface PreparedFraming {
  readonly imageId: string;
  readonly framing: Framing;
  /** A new crop replaces every thumbnail; a new point only the COVER ones. */
  readonly cropChanged: boolean;
  readonly thumbnails: readonly NewThumbnailRow[];
}

/** Gives up the files of framings prepared for a transaction that failed (the intent log's clean-up deletes them). */
export async function abandonPrepared(deps: Pick<StagingDeps, "knex" | "storage">, prepared: readonly PreparedFraming[]): Promise<void> {
  await abandonFiles(
    deps,
    prepared.flatMap((p) => p.thumbnails.map((t) => t.storage_key)),
  ).catch(() => {});
}

/**
 * Checks the changes and renders and stores the image's preset thumbnails as
 * they will be framed, before anything is committed (applyFraming puts them
 * in place). A new crop without a point gets the point attention finds in
 * it; a null point goes back to the automatic one.
 * @returns undefined when the framing stays as it is.
 * @throws UpstageError BAD_USER_INPUT for a crop outside the image or a point outside 0..1.
 */
export async function prepareFraming(
  deps: Pick<StagingDeps, "storage" | "options" | "knex" | "instance" | "images">,
  image: ImageRow,
  changes: FramingChanges,
): Promise<PreparedFraming | undefined> {
  if (changes.crop) checkCrop(changes.crop, image);
  const chosen = changes.focalPoint ? chosenFocalPoint(changes.focalPoint) : undefined;
  const current = { crop: cropOf(image), focus: focusOf(image) };
  const crop = changes.crop ?? current.crop;
  const cropChanged = changes.crop !== undefined && !sameCrop(changes.crop, current.crop);
  const wantsAuto = changes.focalPoint === null || (cropChanged && changes.focalPoint === undefined);
  if (
    !cropChanged &&
    (changes.focalPoint === undefined || (wantsAuto && current.focus?.auto) || (chosen && sameFocus(chosen, current.focus)))
  )
    return undefined;
  const focus = chosen ?? (wantsAuto ? await autoFocus(deps, image, crop) : (current.focus ?? (await autoFocus(deps, image, crop))));
  const framing = { crop, focus };
  const specs = presetSpecs(deps.options.presets, formatOfContentType(image.content_type)).map((spec) => ({ ...spec, ...framing }));
  const rendered = await deps.images.run(() => renderThumbnails(deps.storage.read(image.storage_key), specs, deps.options.jpegEncoder));
  // Intent before bytes: applyFraming settles them in the caller's transaction.
  await intendFiles(
    deps,
    rendered.map(({ spec }) => thumbnailKey(image.storage_key, variantOf(spec))),
  );
  return { imageId: image.id, framing, cropChanged, thumbnails: await storeThumbnails(deps.storage, image, rendered) };
}

/**
 * Inside the caller's transaction: records the framing and puts its presets
 * in place of the thumbnails it changes (on-demand ones are made again on
 * their next request, under their new names).
 * @returns the storage keys of the thumbnails it took off the image.
 */
export async function applyFraming(trx: Knex.Transaction, prepared: PreparedFraming): Promise<string[]> {
  const { crop, focus } = prepared.framing;
  await updateFraming(trx, prepared.imageId, {
    ...(prepared.cropChanged && crop ? { crop_x: crop.x, crop_y: crop.y, crop_width: crop.width, crop_height: crop.height } : {}),
    focal_x: focus.x,
    focal_y: focus.y,
    focal_auto: focus.auto,
  });
  const previous = await takeThumbnails(trx, prepared.imageId, prepared.cropChanged ? undefined : "COVER");
  await insertThumbnails(
    trx,
    prepared.thumbnails.map((t) => ({ ...t, image_id: prepared.imageId })),
  );
  await settleFiles(
    trx,
    prepared.thumbnails.map((t) => t.storage_key),
  );
  const kept = new Set(prepared.thumbnails.map((t) => t.storage_key));
  return previous.map((t) => t.storage_key).filter((key) => !kept.has(key));
}

/** The point attention finds in the crop, or in the whole image. */
async function autoFocus(deps: Pick<StagingDeps, "storage" | "images">, image: ImageRow, crop: CropRect | null): Promise<FocalPoint> {
  return deps.images.run(async () => {
    const sample = await sampleImage(regionOf(deps.storage.read(image.storage_key), crop));
    return sample.focus;
  });
}

/** The stored original's bytes as a sharp pipeline, cut to the crop when there is one. */
export function regionOf(stream: NodeJS.ReadableStream, crop: CropRect | null): Sharp {
  const input = sharp();
  stream.pipe(input);
  return crop ? input.extract({ left: crop.x, top: crop.y, width: crop.width, height: crop.height }) : input;
}

function sameCrop(a: CropRect, b: CropRect | null): boolean {
  return b !== null && a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
}

function sameFocus(a: FocalPoint, b: FocalPoint | null): boolean {
  return b !== null && a.auto === b.auto && a.x === b.x && a.y === b.y;
}

import { randomUUID } from "node:crypto";
import { insertImageWithFiles } from "../db/imageQueries.js";
import type { ImageRow } from "../db/rows.js";
import { contentTypeOf, extensionOf, formatOfContentType } from "../images/imageFormat.js";
import { probeImage } from "../images/probeImage.js";
import { processImage } from "../images/processImage.js";
import { variantOf } from "../images/ThumbnailSpec.js";
import type { ReceivedFile } from "../storage/ReceivedFile.js";
import { newImageKey, thumbnailKey } from "../storage/storageKey.js";
import { checkStagedRoom } from "./checkStagedRoom.js";
import { ensureThumbnails } from "./ensureThumbnails.js";
import { abandonFiles, intendFiles } from "./fileIntents.js";
import { presetSpecs } from "./presetSpecs.js";
import { reuseStoredImage } from "./reuseStoredImage.js";
import type { StagingDeps } from "./StagingDeps.js";
import { stagedRow } from "./stagedRow.js";
import { storeThumbnails } from "./storeThumbnails.js";

/**
 * Stages a received file: proves it is an image, stores it upright, stripped
 * and scaled with its preset thumbnails under random keys, with what its
 * sample gives (placeholder, dominant colour, ThumbHash, focal point), and inserts a STAGED row that expires
 * after the TTL. Bytes the owner has staged or committed before share that
 * image's files (reuseStoredImage). The received file is consumed; nothing is
 * left behind on failure.
 * @throws UpstageError UNSUPPORTED_MEDIA_TYPE, IMAGE_TOO_LARGE, QUOTA_EXCEEDED (MAX_STAGED_PER_USER).
 */
export async function stageReceivedFile(deps: StagingDeps, input: { ownerId: string; received: ReceivedFile }): Promise<ImageRow> {
  const { scratch, storage, options } = deps;
  const file = input.received;
  const normalized = scratch.newPath();
  const storedKeys: string[] = [];
  try {
    const duplicate = await reuseStoredImage(deps, input);
    if (duplicate) {
      // Shared presets are there already, unless a crop at commit replaced the source's.
      await ensureThumbnails(deps, duplicate, presetSpecs(options.presets, formatOfContentType(duplicate.content_type)));
      deps.log.info(
        { imageId: duplicate.id, ownerId: input.ownerId, sharesFileWith: duplicate.storage_key },
        "image staged from a file already stored",
      );
      return duplicate;
    }
    // The image work waits its turn in the queue; the bytes were received without waiting.
    const waiting = deps.metrics.imageQueueSeconds.startTimer();
    const { format, original, thumbnails, sample } = await deps.images.run(async () => {
      waiting();
      const probed = await probeImage(file.path, { maxPixels: options.maxPixels });
      const format = probed.storedFormat;
      const processing = deps.metrics.thumbnailSeconds.startTimer({ kind: "preset" });
      const processed = await processImage(file.path, normalized, {
        format,
        maxDimension: options.maxDimension,
        maxPixels: options.maxPixels,
        jpegEncoder: options.jpegEncoder,
        thumbnails: presetSpecs(options.presets, format),
      });
      processing();
      return { format, ...processed };
    });

    const id = randomUUID();
    const now = deps.now();
    const key = newImageKey(extensionOf[format], now);
    storedKeys.push(key, ...thumbnails.map((t) => thumbnailKey(key, variantOf(t.spec))));
    // Intent before bytes: a crash from here on leaves pending keys, not orphan files.
    await intendFiles(deps, storedKeys);
    // Each put fsyncs its file; the disk takes them together. All are settled
    // before a failure is thrown, so the clean-up below never races a put.
    const [put, stored] = await Promise.allSettled([
      storage.put(key, { file: normalized }),
      storeThumbnails(storage, { id, storage_key: key }, thumbnails),
    ]);
    if (put.status === "rejected") throw put.reason;
    if (stored.status === "rejected") throw stored.reason;
    const thumbnailRows = stored.value;

    const row = await deps.knex.transaction(async (trx) => {
      await checkStagedRoom(trx, input.ownerId, now, {
        maxStaged: options.maxStagedPerUser,
        quotaBytes: options.quotaBytes,
        newBytes: original.byteSize,
      });
      // The intents of its files are settled in the same statement (fileIntents.ts).
      const image = await insertImageWithFiles(
        trx,
        stagedRow(deps, now, {
          id,
          owner_id: input.ownerId,
          storage_key: key,
          original_filename: file.filename,
          content_type: contentTypeOf[format],
          byte_size: original.byteSize,
          width: original.width,
          height: original.height,
          sha256: file.sha256,
          placeholder: sample.placeholder,
          dominant_color: sample.dominantColor,
          thumbhash: sample.thumbhash,
          focal_x: sample.focus.x,
          focal_y: sample.focus.y,
          focal_auto: true,
        }),
        { thumbnails: thumbnailRows, settledKeys: storedKeys },
      );
      return image;
    });
    deps.log.info({ imageId: row.id, ownerId: input.ownerId, bytes: file.byteSize, format }, "image staged");
    return row;
  } catch (error) {
    await abandonFiles(deps, storedKeys).catch((cleanup: unknown) =>
      deps.log.warn({ err: cleanup }, "files left pending for the clean-up"),
    );
    throw error;
  } finally {
    await scratch.remove(file.path, normalized);
  }
}

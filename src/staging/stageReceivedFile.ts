// Staging a received file: new bytes are made an image (checked, upright,
// stripped, scaled, with their presets) and stored; bytes the owner has
// stored before share that image's files. Either way one more staged image
// must fit the owner's cap and quota, checked under their row lock.
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import { holdingsOf } from "../db/holdingsQueries.js";
import {
  findImageWithHash,
  insertImage,
  insertImageWithFiles,
  insertThumbnails,
  listThumbnails,
  lockLiveImage,
  type NewImage,
} from "../db/imageQueries.js";
import type { ImageRow } from "../db/rows.js";
import { lockUser } from "../db/userQueries.js";
import { refusals } from "../errors/refusals.js";
import { contentTypeOf, extensionOf, formatOfContentType } from "../images/imageFormat.js";
import { probeImage } from "../images/probeImage.js";
import { processImage } from "../images/processImage.js";
import { isSharableVariant, variantOf } from "../images/ThumbnailSpec.js";
import type { ReceivedFile } from "../storage/ReceivedFile.js";
import { newImageKey, thumbnailKey } from "../storage/storageKey.js";
import { abandonFiles, intendFiles } from "./fileIntents.js";
import { presetSpecs } from "./renditionPolicy.js";
import type { StagingDeps } from "./StagingDeps.js";
import { storeThumbnails } from "./storeThumbnails.js";
import { ensureThumbnails } from "./thumbnails.js";

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

/**
 * Content-hash dedupe: when the owner already has a staged or committed image
 * of the same bytes (sha256 from the upload chain), the new staged row shares
 * its stored files and thumbnails instead of decoding and storing them again.
 * It is a row of its own (its id, filename and expiry), and never another
 * user's: the lookup is by owner.
 *
 * The source row is locked FOR SHARE while the new one is written, so it cannot
 * be marked DELETED in between; once written, the new row counts as a reference
 * and keeps the shared files (see removeImage).
 * @returns the new staged row, or undefined when there is nothing to share.
 */
async function reuseStoredImage(
  deps: Pick<StagingDeps, "knex" | "now" | "options">,
  input: { ownerId: string; received: ReceivedFile },
): Promise<ImageRow | undefined> {
  const candidate = await findImageWithHash(deps.knex, input.ownerId, input.received.sha256);
  if (!candidate) return undefined;
  return deps.knex.transaction(async (trx) => {
    // The new row shares the stored bytes it reuses: it adds none to the quota.
    await checkStagedRoom(trx, input.ownerId, deps.now(), {
      maxStaged: deps.options.maxStagedPerUser,
      quotaBytes: deps.options.quotaBytes,
      newBytes: 0,
    });
    const source = await lockLiveImage(trx, candidate.id);
    if (!source) return undefined;
    const now = deps.now();
    // The new row has no crop and no chosen point: the source's automatic point holds only without a crop.
    const wholeAuto = source.focal_auto && source.crop_x === null;
    const image = await insertImage(
      trx,
      stagedRow(deps, now, {
        id: randomUUID(),
        owner_id: input.ownerId,
        storage_key: source.storage_key,
        original_filename: input.received.filename,
        content_type: source.content_type,
        byte_size: source.byte_size,
        width: source.width,
        height: source.height,
        sha256: source.sha256,
        placeholder: source.placeholder,
        dominant_color: source.dominant_color,
        thumbhash: source.thumbhash,
        focal_x: wholeAuto ? source.focal_x : null,
        focal_y: wholeAuto ? source.focal_y : null,
        focal_auto: true,
      }),
    );
    // It shares the thumbnails made from the whole original around the automatic point only.
    const thumbnails = (await listThumbnails(trx, source.id)).filter(
      (t) => isSharableVariant(t.variant) && (wholeAuto || t.fit !== "COVER"),
    );
    await insertThumbnails(
      trx,
      thumbnails.map(({ created_at: _created, ...thumbnail }) => ({ ...thumbnail, image_id: image.id })),
    );
    return image;
  });
}

/** What one more staged image may add to its owner's. */
interface StagedRoom {
  /** Staged images an owner may hold (MAX_STAGED_PER_USER). */
  readonly maxStaged: number;
  /** Bytes of staged and committed images an owner may hold (QUOTA_BYTES). */
  readonly quotaBytes: number;
  /** The bytes the new image adds: its stored original's size, or 0 when it shares stored bytes. */
  readonly newBytes: number;
}

/**
 * That the owner may stage one more image: fewer than `maxStaged` staged
 * images of theirs are live, and their images' bytes, with what their tus
 * uploads under way have reserved and `newBytes`, stay within `quotaBytes`. Takes the owner's row lock for the rest of the
 * transaction, so uploads finishing together cannot pass either limit between
 * them: the quota handler refuses early, one upload at a time; this is what
 * holds under a burst, on every instance.
 * @throws UpstageError QUOTA_EXCEEDED.
 */
async function checkStagedRoom(trx: Knex.Transaction, ownerId: string, now: Date, room: StagedRoom): Promise<void> {
  await lockUser(trx, ownerId);
  // A statement of its own, after the lock: on PostgreSQL a statement's snapshot is taken when it starts,
  // so sums read in the locking statement would miss what the lock's last holder just committed.
  const held = await holdingsOf(trx, ownerId, now);
  if (held.staged >= room.maxStaged) throw refusals.tooManyStaged(room.maxStaged);
  if (room.newBytes > 0 && held.storedBytes + held.pendingBytes + room.newBytes > room.quotaBytes)
    throw refusals.quotaExceeded(room.quotaBytes);
}

/** A new STAGED row, expiring `ttlSeconds` (STAGED_TTL) after `now`. */
function stagedRow(deps: Pick<StagingDeps, "options">, now: Date, fields: Omit<NewImage, "status" | "expires_at">): NewImage {
  return { ...fields, status: "STAGED", expires_at: new Date(now.getTime() + deps.options.ttlSeconds * 1000) };
}

import { randomUUID } from "node:crypto";
import { findImageWithHash, insertImage, insertThumbnails, listThumbnails, lockLiveImage } from "../db/imageQueries.js";
import type { ImageRow } from "../db/rows.js";
import { isSharableVariant } from "../images/ThumbnailSpec.js";
import type { ReceivedFile } from "../storage/ReceivedFile.js";
import { checkStagedRoom } from "./checkStagedRoom.js";
import type { StagingDeps } from "./StagingDeps.js";
import { stagedRow } from "./stagedRow.js";

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
export async function reuseStoredImage(
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

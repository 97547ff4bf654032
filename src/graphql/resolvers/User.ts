import { findImage, findImages } from "../../db/imageQueries.js";
import { countPhotos, listPhotos } from "../../db/photoQueries.js";
import { connectionOf, decodeCursor, encodeCursor, pageSizeArgument } from "../connection.js";
import type { UserResolvers } from "../generated/resolvers.js";

/** A photos cursor's key: the photo's position. */
const PHOTOS = "photos";
const positionKey = (key: unknown) => (Number.isInteger(key) && (key as number) >= 0 ? (key as number) : undefined);

export const User: UserResolvers = {
  firstName: (user) => user.first_name,
  lastName: (user) => user.last_name,
  async avatar(user, _args, context) {
    if (!user.avatar_image_id) return null;
    const image = await findImage(context.staging.knex, user.avatar_image_id);
    return image?.status === "COMMITTED" ? image : null;
  },

  async photos(user, { first, after }, context) {
    const size = pageSizeArgument(first, 20);
    const afterPosition = decodeCursor(PHOTOS, after, positionKey);
    const { knex } = context.staging;
    const rows = await listPhotos(knex, user.id, { afterPosition, limit: size + 1 });
    const images = new Map((await findImages(knex, rows.map((row) => row.image_id))).map((image) => [image.id, image]));
    // A photo whose image an admin deleted a moment ago is gone from the page, not a null node.
    const photos = rows.flatMap((row) => {
      const image = images.get(row.image_id);
      return image && image.status === "COMMITTED" ? [{ ...row, image }] : [];
    });
    // Positions start at 0, so something comes before any `after` once the list is not empty: one count answers both.
    let counted: Promise<number> | undefined;
    const totalCount = () => (counted ??= countPhotos(knex, user.id));
    return connectionOf(photos, size, {
      cursorOf: (photo) => encodeCursor(PHOTOS, photo.position),
      hasPreviousPage: afterPosition !== undefined && (await totalCount()) > 0,
      totalCount,
    });
  },
};

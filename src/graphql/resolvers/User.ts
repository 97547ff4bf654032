import { findAvatar, listPhotosPage, type PhotoPlace } from "../../staging/reads.js";
import { isUuid } from "../checkArguments.js";
import { connectionOf, decodeCursor, encodeCursor, pageSizeArgument } from "../connection.js";
import type { UserResolvers } from "../generated/resolvers.js";

/** A photos cursor's key: `[photo id, its position then]` (a bare position from before the id was added is still taken). */
const PHOTOS = "photos";
const isPosition = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;
function placeKey(key: unknown): PhotoPlace | undefined {
  if (isPosition(key)) return { position: key };
  if (!Array.isArray(key) || key.length !== 2) return undefined;
  const [photoId, position] = key as unknown[];
  return isUuid(photoId) && isPosition(position) ? { photoId, position } : undefined;
}

export const User: UserResolvers = {
  firstName: (user) => user.first_name,
  lastName: (user) => user.last_name,
  avatar: async (user, _args, context) => (await findAvatar(context.staging, user)) ?? null,

  async photos(user, { first, after }, context) {
    const size = pageSizeArgument(first, 20);
    const page = await listPhotosPage(context.staging, user.id, { after: decodeCursor(PHOTOS, after, placeKey), limit: size + 1 });
    return connectionOf(page.items, size, {
      cursorOf: (photo) => encodeCursor(PHOTOS, [photo.id, photo.position]),
      hasPreviousPage: page.hasPreviousPage,
      totalCount: page.totalCount,
    });
  },
};

import { findAvatar } from "../../staging/findAvatar.js";
import { listPhotosPage } from "../../staging/listPhotosPage.js";
import { connectionOf, decodeCursor, encodeCursor, pageSizeArgument } from "../connection.js";
import type { UserResolvers } from "../generated/resolvers.js";

/** A photos cursor's key: the photo's position. */
const PHOTOS = "photos";
const positionKey = (key: unknown) => (Number.isInteger(key) && (key as number) >= 0 ? (key as number) : undefined);

export const User: UserResolvers = {
  firstName: (user) => user.first_name,
  lastName: (user) => user.last_name,
  avatar: async (user, _args, context) => (await findAvatar(context.staging, user)) ?? null,

  async photos(user, { first, after }, context) {
    const size = pageSizeArgument(first, 20);
    const afterPosition = decodeCursor(PHOTOS, after, positionKey);
    const page = await listPhotosPage(context.staging, user.id, { afterPosition, limit: size + 1 });
    return connectionOf(page.items, size, {
      cursorOf: (photo) => encodeCursor(PHOTOS, photo.position),
      hasPreviousPage: page.hasPreviousPage,
      totalCount: page.totalCount,
    });
  },
};

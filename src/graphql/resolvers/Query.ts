import type { ImageListKey } from "../../db/imageQueries.js";
import { refusals } from "../../errors/refusals.js";
import { findVisibleImage, listImagesPage, listStagedImages } from "../../staging/reads.js";
import { imageIdArgument, isUuid, userIdArgument } from "../checkArguments.js";
import { connectionOf, decodeCursor, encodeCursor, pageSizeArgument } from "../connection.js";
import { requireAdmin, requireViewer } from "../context.js";
import type { QueryResolvers } from "../generated/resolvers.js";

/** An images cursor's key: `[createdAt to the microsecond, id]`. */
const IMAGES = "images";
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
function listKey(key: unknown): ImageListKey | undefined {
  if (!Array.isArray(key) || key.length !== 2) return undefined;
  const [createdAt, id] = key as unknown[];
  return typeof createdAt === "string" && TIMESTAMP.test(createdAt) && isUuid(id) ? { createdAt, id } : undefined;
}

export const Query: QueryResolvers = {
  uploadOptions: (_parent, _args, context) => context.uploadOptions(),

  // The context's row is as the server first saw the user (it is cached); names and avatar are read now.
  viewer: async (_parent, _args, context) => (context.viewer ? ((await context.profiles.load(context.viewer.id)) ?? null) : null),

  async user(_parent, { id }, context) {
    requireViewer(context);
    return (await context.profiles.load(userIdArgument(id, "id"))) ?? null;
  },

  async image(_parent, { id }, context) {
    const viewer = requireViewer(context);
    return (await findVisibleImage(context.staging, viewer, imageIdArgument(id, "id"))) ?? null;
  },

  stagedImages(_parent, _args, context) {
    const viewer = requireViewer(context);
    return listStagedImages(context.staging, viewer.id);
  },

  async images(_parent, { filter, first, after }, context) {
    requireAdmin(context);
    const size = pageSizeArgument(first, 50);
    const afterKey = decodeCursor(IMAGES, after, listKey);
    const { createdAfter, createdBefore } = filter ?? {};
    if (createdAfter && createdBefore && createdAfter.getTime() >= createdBefore.getTime()) {
      throw refusals.datesReversed();
    }
    const where = {
      status: filter?.status ?? undefined,
      ownerId: filter?.ownerId == null ? undefined : userIdArgument(filter.ownerId, "ownerId"),
      createdAfter: createdAfter ?? undefined,
      createdBefore: createdBefore ?? undefined,
    };
    const page = await listImagesPage(context.staging, where, { after: afterKey, limit: size + 1 });
    return connectionOf(page.items, size, {
      cursorOf: (image) => encodeCursor(IMAGES, [image.list_key.createdAt, image.list_key.id]),
      hasPreviousPage: page.hasPreviousPage,
      totalCount: page.totalCount,
    });
  },
};

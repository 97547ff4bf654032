import { findImage } from "../../db/imageQueries.js";
import { findUser } from "../../db/userQueries.js";
import { imageIdArgument, userIdArgument } from "../checkArguments.js";
import { requireViewer } from "../context.js";
import type { QueryResolvers } from "../generated/resolvers.js";
import { isVisibleTo } from "./isVisibleTo.js";

export const Query: QueryResolvers = {
  // The context's row is as the server first saw the user (it is cached); names and avatar are read now.
  viewer: async (_parent, _args, context) => (context.viewer ? ((await findUser(context.staging.knex, context.viewer.id)) ?? null) : null),

  async user(_parent, { id }, context) {
    requireViewer(context);
    return (await findUser(context.staging.knex, userIdArgument(id, "id"))) ?? null;
  },

  async image(_parent, { id }, context) {
    const viewer = requireViewer(context);
    const image = await findImage(context.staging.knex, imageIdArgument(id, "id"));
    return image && isVisibleTo(image, viewer.id) ? image : null;
  },
};

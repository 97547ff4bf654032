import { findImage } from "../../db/imageQueries.js";
import { findUser } from "../../db/userQueries.js";
import { imageIdArgument, userIdArgument } from "../checkArguments.js";
import { requireViewer } from "../context.js";
import type { QueryResolvers } from "../generated/resolvers.js";
import { isVisibleTo } from "./isVisibleTo.js";

export const Query: QueryResolvers = {
  viewer: (_parent, _args, context) => context.viewer,

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

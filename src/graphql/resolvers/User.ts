import { findImage } from "../../db/imageQueries.js";
import type { UserResolvers } from "../generated/resolvers.js";

export const User: UserResolvers = {
  firstName: (user) => user.first_name,
  lastName: (user) => user.last_name,
  async avatar(user, _args, context) {
    if (!user.avatar_image_id) return null;
    const image = await findImage(context.staging.knex, user.avatar_image_id);
    return image?.status === "COMMITTED" ? image : null;
  },
};

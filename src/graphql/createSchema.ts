import { readFileSync } from "node:fs";
import { makeExecutableSchema } from "@graphql-tools/schema";
import type { GraphQLSchema } from "graphql";
import { DateTimeResolver } from "graphql-scalars";
import GraphQLUpload from "graphql-upload/GraphQLUpload.mjs";
import type { Resolvers } from "./generated/resolvers.js";
import { ImageConnection, PhotoConnection } from "./resolvers/Connection.js";
import { DirectUpload } from "./resolvers/DirectUpload.js";
import { Image } from "./resolvers/Image.js";
import { ImageSource } from "./resolvers/ImageSource.js";
import { Mutation } from "./resolvers/Mutation.js";
import { Photo } from "./resolvers/Photo.js";
import { Query } from "./resolvers/Query.js";
import { StagedImage } from "./resolvers/StagedImage.js";
import { Subscription } from "./resolvers/Subscription.js";
import { Thumbnail } from "./resolvers/Thumbnail.js";
import { UploadProgress } from "./resolvers/UploadProgress.js";
import { User } from "./resolvers/User.js";

/** schema.graphql at the top of the package: the contract, and the single source of the schema. */
const schemaFile = new URL("../../schema.graphql", import.meta.url);

const resolvers: Resolvers = {
  Upload: GraphQLUpload,
  DateTime: DateTimeResolver,
  Query,
  Mutation,
  Subscription,
  User,
  StagedImage,
  Image,
  Thumbnail,
  ImageSource,
  UploadProgress,
  Photo,
  PhotoConnection,
  ImageConnection,
  DirectUpload,
};

/** Binds the resolvers to schema.graphql; a resolver for a field the schema lacks fails here. */
export function createSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: readFileSync(schemaFile, "utf8"),
    resolvers,
    resolverValidationOptions: { requireResolversToMatchSchema: "error" },
  });
}

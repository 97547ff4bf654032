import type { ImageConnectionResolvers, PhotoConnectionResolvers } from "../generated/resolvers.js";

// Counted only when a client asks for it.
export const PhotoConnection: PhotoConnectionResolvers = {
  edges: (connection) => [...connection.edges],
  totalCount: (connection) => connection.totalCount(),
};

export const ImageConnection: ImageConnectionResolvers = {
  edges: (connection) => [...connection.edges],
  totalCount: (connection) => connection.totalCount(),
};

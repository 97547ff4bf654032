import type { ImageRow } from "../../db/rows.js";
import { formatOfContentType } from "../../images/imageFormat.js";
import { checkMayInspect } from "../../staging/access.js";
import { cropOf, focusOf } from "../../staging/framing.js";
import { listStoredThumbnails } from "../../staging/reads.js";
import { presetSpecs } from "../../staging/renditionPolicy.js";
import { completeImage, ensureThumbnails, imageSources } from "../../staging/thumbnails.js";
import { type GraphQLContext, requireViewer } from "../context.js";
import type { ImageResolvers } from "../generated/resolvers.js";
import { srcsetOf } from "../srcsetOf.js";

export const Image: ImageResolvers = {
  url: (image, _args, context) => context.mediaUrl(image.storage_key),
  contentType: (image) => image.content_type,
  byteSize: (image) => image.byte_size,

  async thumbnail(image, { width, height, fit, format }, context) {
    const spec = { width, height: height ?? null, fit: fit ?? "COVER", format: format ?? formatOfContentType(image.content_type) } as const;
    const [row] = await ensureThumbnails(context.staging, image, [spec], rendererOf(context));
    return row!;
  },

  thumbnails: (image, _args, context) => listStoredThumbnails(context.staging, image),

  crop: (image) => cropOf(image),
  focalPoint: async (image, _args, context) => focusOf(await completeImage(context.staging, image))!,
  thumbhash: async (image, _args, context) => (await completeImage(context.staging, image)).thumbhash!,
  placeholder: async (image, _args, context) => (await completeImage(context.staging, image)).placeholder!,
  dominantColor: async (image, _args, context) => (await completeImage(context.staging, image)).dominant_color!,
  sources: (image, { widths, formats }, context) => imageSources(context.staging, image, { widths, formats }, rendererOf(context)),

  srcset: async (image, _args, context) => srcsetOf(await presetThumbnails(image, context), context),

  async owner(image, _args, context) {
    checkMayInspect(image, requireViewer(context));
    return (await context.profiles.load(image.owner_id)) ?? null;
  },
  status(image, _args, context) {
    checkMayInspect(image, requireViewer(context));
    // A deleted image is never resolved: nobody can see it.
    return image.status === "STAGED" ? "STAGED" : "COMMITTED";
  },
  createdAt(image, _args, context) {
    checkMayInspect(image, requireViewer(context));
    return image.created_at;
  },
};

/** Whose render budget a new size spends: the viewer's. */
function rendererOf(context: GraphQLContext): { userId: string } | undefined {
  return context.viewer ? { userId: context.viewer.id } : undefined;
}

/** The preset thumbnails (same shape, growing widths): what a srcset can choose between. */
async function presetThumbnails(image: ImageRow, context: GraphQLContext) {
  const rows = await ensureThumbnails(
    context.staging,
    image,
    presetSpecs(context.staging.options.presets, formatOfContentType(image.content_type)),
  );
  const byWidth = new Map(rows.map((t) => [t.width, t]));
  return [...byWidth.values()].sort((a, b) => a.width - b.width);
}

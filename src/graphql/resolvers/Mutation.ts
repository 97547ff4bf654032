import { refusals } from "../../errors/refusals.js";
import { cancelDirectUpload, createDirectUpload, stageDirectUpload } from "../../flows/directUploads.js";
import { stageUpload } from "../../flows/stageUpload.js";
import { commitProfile, MAX_NAME_LENGTH } from "../../staging/commitProfile.js";
import { addPhotos, deletePhoto, MAX_CAPTION_LENGTH, updatePhoto } from "../../staging/photos.js";
import { deleteImage, discardStagedImage } from "../../staging/removeImages.js";
import { imageIdArgument, isUuid, textArgument, uploadIdArgument } from "../checkArguments.js";
import { requireAdmin, requireViewer } from "../context.js";
import type { MutationResolvers } from "../generated/resolvers.js";

export const Mutation: MutationResolvers = {
  stageImage(_parent, { file, uploadId }, context) {
    const viewer = requireViewer(context);
    if (!context.upload) {
      throw refusals.notMultipart();
    }
    return stageUpload(context.uploading, {
      userId: viewer.id,
      uploadId: uploadId == null ? null : uploadIdArgument(uploadId),
      file,
      handlers: context.upload.handlers,
      meter: context.upload.meter,
    });
  },

  commitProfile(_parent, { input }, context) {
    const viewer = requireViewer(context);
    return commitProfile(context.staging, viewer.id, {
      ...input,
      firstName: textArgument(input.firstName, "firstName", MAX_NAME_LENGTH),
      lastName: textArgument(input.lastName, "lastName", MAX_NAME_LENGTH),
      stagedImageId: input.stagedImageId == null ? input.stagedImageId : imageIdArgument(input.stagedImageId, "stagedImageId"),
    });
  },

  discardStagedImage(_parent, { id }, context) {
    const viewer = requireViewer(context);
    return discardStagedImage(context.staging, viewer.id, imageIdArgument(id, "id"));
  },

  addPhotos(_parent, { input }, context) {
    const viewer = requireViewer(context);
    return addPhotos(
      context.staging,
      viewer.id,
      input.photos.map((photo, i) => ({
        stagedImageId: imageIdArgument(photo.stagedImageId, `photos[${i}].stagedImageId`),
        caption: textArgument(photo.caption, `photos[${i}].caption`, MAX_CAPTION_LENGTH),
        focalPoint: photo.focalPoint,
      })),
    );
  },

  updatePhoto(_parent, { input }, context) {
    const viewer = requireViewer(context);
    return updatePhoto(context.staging, viewer.id, imageIdArgument(input.id, "id"), {
      caption: textArgument(input.caption, "caption", MAX_CAPTION_LENGTH),
      position: input.position,
      focalPoint: input.focalPoint,
    });
  },

  deletePhoto(_parent, { id }, context) {
    const viewer = requireViewer(context);
    return deletePhoto(context.staging, viewer.id, imageIdArgument(id, "id"));
  },

  deleteImage(_parent, { id }, context) {
    requireAdmin(context);
    return deleteImage(context.staging, imageIdArgument(id, "id"));
  },

  createDirectUpload(_parent, { input }, context) {
    const viewer = requireViewer(context);
    return createDirectUpload(context.directUploads, {
      userId: viewer.id,
      filename: textArgument(input.filename, "filename", MAX_FILENAME_LENGTH),
      contentType: textArgument(input.contentType ?? null, "contentType", MAX_CONTENT_TYPE_LENGTH),
      byteSize: input.byteSize,
      uploadId: input.uploadId == null ? null : uploadIdArgument(input.uploadId, "input.uploadId"),
    });
  },

  stageDirectUpload(_parent, { id, uploadId }, context) {
    const viewer = requireViewer(context);
    return stageDirectUpload(context.directUploads, {
      userId: viewer.id,
      id: directUploadIdArgument(id),
      uploadId: uploadId == null ? null : uploadIdArgument(uploadId),
    });
  },

  cancelDirectUpload(_parent, { id }, context) {
    const viewer = requireViewer(context);
    return cancelDirectUpload(context.directUploads, { userId: viewer.id, id: directUploadIdArgument(id) });
  },
};

/** A filename's length as browsers and file systems allow (255 bytes), with room for what people type. */
const MAX_FILENAME_LENGTH = 1024;
/** RFC 6838 allows 127 characters on each side of the slash. */
const MAX_CONTENT_TYPE_LENGTH = 255;

/** A direct upload's id is a UUID; anything else names none (NOT_FOUND, as for one that does not exist). */
function directUploadIdArgument(id: string): string {
  if (!isUuid(id)) throw refusals.noDirectUpload(id);
  return id;
}

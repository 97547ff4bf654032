// upstage's browser and Node client: `import { stageImageWithProgress } from "upstage/client"`.

export type * from "./generated/operations.js";
export { type GraphQLRequestOptions, graphqlRequest } from "./graphqlRequest.js";
export { COMMIT_PROFILE, STAGE_IMAGE, UPLOAD_OPTIONS, UPLOAD_PROGRESS, VIEWER } from "./operations.js";
export type { ResumableOptions } from "./sendResumable.js";
export { type OverallProgress, type StageImagesOptions, stageImagesWithProgress } from "./stageImagesWithProgress.js";
export { type StagedImage, type StageImageOptions, stageImageWithProgress, type UploadProgress } from "./stageImageWithProgress.js";
export { UpstageRequestError } from "./UpstageRequestError.js";

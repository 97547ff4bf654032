// upstage's browser and Node client: `import { stageImageWithProgress } from "upstage/client"`.
export { stageImageWithProgress, type StagedImage, type StageImageOptions, type UploadProgress } from "./stageImageWithProgress.js";
export type { ResumableOptions } from "./sendResumable.js";
export { stageImagesWithProgress, type OverallProgress, type StageImagesOptions } from "./stageImagesWithProgress.js";
export { graphqlRequest, type GraphQLRequestOptions } from "./graphqlRequest.js";
export { UpstageRequestError } from "./UpstageRequestError.js";
export { COMMIT_PROFILE, STAGE_IMAGE, UPLOAD_OPTIONS, UPLOAD_PROGRESS, VIEWER } from "./operations.js";
export type * from "./generated/operations.js";

// The operations the client helper and the profile page send. Their result
// types are generated from schema.graphql into ./generated/operations.ts.

const STAGED_IMAGE_FIELDS = /* GraphQL */ `
  fragment StagedImageFields on StagedImage {
    id
    expiresAt
    image {
      id
      url
      width
      height
      contentType
      byteSize
      srcset
      thumbnails {
        url
        width
        height
        format
      }
    }
  }
`;

export const STAGE_IMAGE = /* GraphQL */ `
  mutation StageImage($file: Upload!, $uploadId: ID) {
    stageImage(file: $file, uploadId: $uploadId) {
      ...StagedImageFields
    }
  }
  ${STAGED_IMAGE_FIELDS}
`;

export const UPLOAD_PROGRESS = /* GraphQL */ `
  subscription UploadProgress($uploadId: ID!) {
    uploadProgress(uploadId: $uploadId) {
      uploadId
      phase
      at
      bytesReceived
      bytesTotal
      percent
      stagedImage {
        id
      }
      error {
        code
        message
      }
    }
  }
`;

const PROFILE_FIELDS = /* GraphQL */ `
  fragment ProfileFields on User {
    id
    username
    firstName
    lastName
    avatar {
      id
      url
      width
      height
      thumbnail(width: 192, height: 192) {
        url
      }
    }
  }
`;

export const VIEWER = /* GraphQL */ `
  query Viewer {
    viewer {
      ...ProfileFields
    }
  }
  ${PROFILE_FIELDS}
`;

export const COMMIT_PROFILE = /* GraphQL */ `
  mutation CommitProfile($input: CommitProfileInput!) {
    commitProfile(input: $input) {
      ...ProfileFields
    }
  }
  ${PROFILE_FIELDS}
`;

// The operations the client helper and the profile page send. Their result
// types are generated from schema.graphql into ./generated/operations.ts.

const STAGED_IMAGE_IMAGE_FIELDS = /* GraphQL */ `
  fragment StagedImageImageFields on Image {
    id
    url
    width
    height
    contentType
    byteSize
    srcset
    placeholder
    dominantColor
    thumbhash
    focalPoint {
      x
      y
      auto
    }
    thumbnails {
      url
      width
      height
      format
    }
  }
`;

const STAGED_IMAGE_FIELDS = /* GraphQL */ `
  fragment StagedImageFields on StagedImage {
    id
    expiresAt
    image {
      ...StagedImageImageFields
    }
  }
  ${STAGED_IMAGE_IMAGE_FIELDS}
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

// --- photos (the profile page's Photos section) ---

const PHOTO_FIELDS = /* GraphQL */ `
  fragment PhotoFields on Photo {
    id
    caption
    position
    image {
      id
      width
      height
      placeholder
      dominantColor
      thumbhash
      srcset
      thumbnail(width: 320, height: 320) {
        url
      }
      sources(widths: [240, 480], formats: [WEBP]) {
        type
        srcset
      }
    }
  }
`;

export const PHOTOS = /* GraphQL */ `
  query Photos($first: Int, $after: String) {
    viewer {
      id
      photos(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            ...PhotoFields
          }
        }
      }
    }
  }
  ${PHOTO_FIELDS}
`;

export const STAGED_IMAGES = /* GraphQL */ `
  query StagedImages {
    stagedImages {
      ...StagedImageFields
    }
  }
  ${STAGED_IMAGE_FIELDS}
`;

export const ADD_PHOTOS = /* GraphQL */ `
  mutation AddPhotos($input: AddPhotosInput!) {
    addPhotos(input: $input) {
      ...PhotoFields
    }
  }
  ${PHOTO_FIELDS}
`;

export const UPDATE_PHOTO = /* GraphQL */ `
  mutation UpdatePhoto($input: UpdatePhotoInput!) {
    updatePhoto(input: $input) {
      ...PhotoFields
    }
  }
  ${PHOTO_FIELDS}
`;

export const DELETE_PHOTO = /* GraphQL */ `
  mutation DeletePhoto($id: ID!) {
    deletePhoto(id: $id)
  }
`;

export const DISCARD_STAGED_IMAGE = /* GraphQL */ `
  mutation DiscardStagedImage($id: ID!) {
    discardStagedImage(id: $id)
  }
`;

// --- the admin page ---

export const ADMIN_IMAGES = /* GraphQL */ `
  query AdminImages($filter: ImageFilter, $first: Int, $after: String) {
    images(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
        hasPreviousPage
      }
      edges {
        node {
          id
          width
          height
          byteSize
          contentType
          status
          createdAt
          placeholder
          thumbhash
          dominantColor
          owner {
            id
            username
          }
          thumbnail(width: 64, height: 64) {
            url
          }
        }
      }
    }
  }
`;

export const DELETE_IMAGE = /* GraphQL */ `
  mutation DeleteImage($id: ID!) {
    deleteImage(id: $id)
  }
`;

export const STAGED_IMAGE = /* GraphQL */ `
  query StagedImageById($id: ID!) {
    image(id: $id) {
      ...StagedImageImageFields
    }
  }
  ${STAGED_IMAGE_IMAGE_FIELDS}
`;

export const UPLOAD_OPTIONS = /* GraphQL */ `
  query UploadOptions {
    uploadOptions {
      maxFileSize
      acceptedFormats
      multipart
      resumable
      resumableEndpoint
      direct
      maxConcurrentUploads
    }
  }
`;

export const CREATE_DIRECT_UPLOAD = /* GraphQL */ `
  mutation CreateDirectUpload($input: CreateDirectUploadInput!) {
    createDirectUpload(input: $input) {
      id
      url
      method
      headers {
        name
        value
      }
      expiresAt
    }
  }
`;

export const STAGE_DIRECT_UPLOAD = /* GraphQL */ `
  mutation StageDirectUpload($id: ID!, $uploadId: ID) {
    stageDirectUpload(id: $id, uploadId: $uploadId) {
      ...StagedImageFields
    }
  }
  ${STAGED_IMAGE_FIELDS}
`;

export const CANCEL_DIRECT_UPLOAD = /* GraphQL */ `
  mutation CancelDirectUpload($id: ID!) {
    cancelDirectUpload(id: $id)
  }
`;

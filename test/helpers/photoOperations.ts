const PHOTO_FIELDS = /* GraphQL */ `id caption position createdAt owner { id } image { id url }`;

export const ADD_PHOTOS = /* GraphQL */ `
  mutation Add($input: AddPhotosInput!) { addPhotos(input: $input) { ${PHOTO_FIELDS} } }
`;

export const UPDATE_PHOTO = /* GraphQL */ `
  mutation Update($input: UpdatePhotoInput!) { updatePhoto(input: $input) { ${PHOTO_FIELDS} } }
`;

export const DELETE_PHOTO = /* GraphQL */ `
  mutation DeletePhoto($id: ID!) { deletePhoto(id: $id) }
`;

export const DELETE_IMAGE = /* GraphQL */ `
  mutation DeleteImage($id: ID!) { deleteImage(id: $id) }
`;

export const PHOTOS = /* GraphQL */ `
  query Photos($id: ID!, $first: Int, $after: String) {
    user(id: $id) {
      photos(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
        edges { cursor node { ${PHOTO_FIELDS} } }
      }
    }
  }
`;

export const STAGED_IMAGES = /* GraphQL */ `
  query { stagedImages { id expiresAt image { id url } } }
`;

export const IMAGES = /* GraphQL */ `
  query Images($filter: ImageFilter, $first: Int, $after: String) {
    images(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
      edges { cursor node { id status createdAt byteSize width height owner { id username } } }
    }
  }
`;

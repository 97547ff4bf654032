export const COMMIT_PROFILE = /* GraphQL */ `
  mutation Commit($input: CommitProfileInput!) {
    commitProfile(input: $input) {
      id username firstName lastName
      avatar { id url thumbnails { url width height } }
    }
  }
`;

export const DISCARD = /* GraphQL */ `
  mutation Discard($id: ID!) { discardStagedImage(id: $id) }
`;

export const VIEWER = /* GraphQL */ `
  query { viewer { id username firstName lastName avatar { id url } } }
`;

export const IMAGE = /* GraphQL */ `
  query Image($id: ID!) { image(id: $id) { id url } }
`;

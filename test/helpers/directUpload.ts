// The direct upload door as a client drives it: create, PUT to the bucket, stage.
import { graphql, type RequestResult } from "./graphqlClient.js";

export const CREATE_DIRECT_UPLOAD = /* GraphQL */ `
  mutation CreateDirect($input: CreateDirectUploadInput!) {
    createDirectUpload(input: $input) { id url method headers { name value } expiresAt }
  }
`;

export const STAGE_DIRECT_UPLOAD = /* GraphQL */ `
  mutation StageDirect($id: ID!, $uploadId: ID) {
    stageDirectUpload(id: $id, uploadId: $uploadId) { id expiresAt image { id url width height byteSize contentType } }
  }
`;

export const CANCEL_DIRECT_UPLOAD = /* GraphQL */ `
  mutation CancelDirect($id: ID!) { cancelDirectUpload(id: $id) }
`;

export interface DirectUploadAnswer {
  readonly id: string;
  readonly url: string;
  readonly method: string;
  readonly headers: { name: string; value: string }[];
  readonly expiresAt: string;
}

export function createDirect(
  graphqlUrl: string,
  token: string,
  input: { byteSize: number; filename?: string; contentType?: string | null; uploadId?: string | null },
): Promise<RequestResult<{ createDirectUpload: DirectUploadAnswer }>> {
  return graphql(graphqlUrl, CREATE_DIRECT_UPLOAD, { input: { filename: "photo.jpg", contentType: "image/jpeg", ...input } }, token);
}

/** Sends `bytes` as the presigned request says; returns the bucket's status and body. */
export async function putToBucket(upload: DirectUploadAnswer, bytes: Uint8Array): Promise<{ status: number; body: string }> {
  const response = await fetch(upload.url, {
    method: upload.method,
    headers: Object.fromEntries(upload.headers.map((header) => [header.name, header.value])),
    body: new Uint8Array(bytes),
  });
  return { status: response.status, body: await response.text() };
}

type Staged = { stageDirectUpload: { id: string; image: { id: string; url: string; byteSize: number } } };

export function stageDirect(graphqlUrl: string, token: string, id: string, uploadId?: string): Promise<RequestResult<Staged>> {
  return graphql<Staged>(graphqlUrl, STAGE_DIRECT_UPLOAD, { id, uploadId: uploadId ?? null }, token);
}

export function cancelDirect(graphqlUrl: string, token: string, id: string) {
  return graphql<{ cancelDirectUpload: boolean }>(graphqlUrl, CANCEL_DIRECT_UPLOAD, { id }, token);
}

/** Create, PUT and stage in one go; a refused creation's answer is returned as it is. */
export async function uploadDirect(
  graphqlUrl: string,
  token: string,
  bytes: Uint8Array,
  uploadId?: string,
): Promise<RequestResult<Staged>> {
  const created = await createDirect(graphqlUrl, token, { byteSize: bytes.length, uploadId: uploadId ?? null });
  if (created.body.errors) return { status: created.status, body: { errors: created.body.errors } };
  const upload = created.body.data!.createDirectUpload;
  const put = await putToBucket(upload, bytes);
  if (put.status !== 200) throw new Error(`the bucket refused the PUT: ${put.status} ${put.body}`);
  return stageDirect(graphqlUrl, token, upload.id, uploadId);
}

/** The body of a GraphQL response. */
export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface RequestResult<T> {
  status: number;
  body: GraphQLResponse<T>;
}

/** POSTs a JSON GraphQL request the way any client does. */
export async function graphql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<RequestResult<T>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<T> };
}

export interface UploadOptions {
  token?: string;
  uploadId?: string;
  filename?: string;
  contentType?: string;
  /** Leave out the CSRF preflight header. */
  noPreflight?: boolean;
  query?: string;
}

export const STAGE_IMAGE = /* GraphQL */ `
  mutation Stage($file: Upload!, $uploadId: ID) {
    stageImage(file: $file, uploadId: $uploadId) {
      id
      expiresAt
      image {
        id url width height contentType byteSize srcset
        thumbnails { url width height format }
      }
    }
  }
`;

/** Sends `stageImage` as a GraphQL multipart request (FormData over fetch). */
export async function stageFile<T = Record<string, any>>(
  url: string,
  bytes: Uint8Array,
  options: UploadOptions = {},
): Promise<RequestResult<T>> {
  const form = new FormData();
  form.append(
    "operations",
    JSON.stringify({ query: options.query ?? STAGE_IMAGE, variables: { file: null, uploadId: options.uploadId ?? null } }),
  );
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", new Blob([new Uint8Array(bytes)], { type: options.contentType ?? "image/jpeg" }), options.filename ?? "photo.jpg");
  const headers: Record<string, string> = {};
  if (!options.noPreflight) headers["apollo-require-preflight"] = "true";
  if (options.token) headers["authorization"] = `Bearer ${options.token}`;
  const response = await fetch(url, { method: "POST", headers, body: form });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as GraphQLResponse<T> };
}

/** The `extensions.code` of the first error. */
export function errorCode(result: RequestResult<unknown>): string | undefined {
  return result.body.errors?.[0]?.extensions?.code;
}

/** A GraphQL error from upstage, with its contract code (FILE_TOO_LARGE, UNAUTHENTICATED, …). */
export class UpstageRequestError extends Error {
  override readonly name = "UpstageRequestError";
  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status of the response, when there was one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

interface GraphQLResponseBody<T> {
  data?: T | null;
  errors?: readonly { message: string; extensions?: { code?: unknown } }[];
}

/** The data of a GraphQL response, or its first error as an UpstageRequestError. */
export async function readGraphQLResponse<T>(response: Response): Promise<T> {
  let body: GraphQLResponseBody<T> | undefined;
  try {
    body = (await response.json()) as GraphQLResponseBody<T>;
  } catch {
    throw new UpstageRequestError(
      "INTERNAL_SERVER_ERROR",
      `The server answered ${response.status} without a GraphQL response.`,
      response.status,
    );
  }
  const [error] = body.errors ?? [];
  if (error) {
    const code = typeof error.extensions?.code === "string" ? error.extensions.code : "INTERNAL_SERVER_ERROR";
    throw new UpstageRequestError(code, error.message, response.status);
  }
  if (!body.data) throw new UpstageRequestError("INTERNAL_SERVER_ERROR", "The response carried no data.", response.status);
  return body.data;
}

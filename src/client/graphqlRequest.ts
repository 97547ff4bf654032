import { readGraphQLResponse } from "./UpstageRequestError.js";

export interface GraphQLRequestOptions {
  /** The GraphQL endpoint's URL. */
  readonly endpoint: string;
  readonly token?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly fetch?: typeof fetch | undefined;
}

/**
 * Sends one query or mutation as JSON.
 * @throws UpstageRequestError with the error's code.
 */
export async function graphqlRequest<TData, TVariables extends object = Record<string, never>>(
  query: string,
  variables: TVariables,
  options: GraphQLRequestOptions,
): Promise<TData> {
  const response = await (options.fetch ?? fetch)(options.endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
    signal: options.signal ?? null,
  });
  return readGraphQLResponse<TData>(response);
}

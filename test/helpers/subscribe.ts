import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

/** A graphql-ws client on the server's /graphql, authenticated in connection_init. */
export function wsClient(graphqlUrl: string, token?: string, options: { onClose?: (code: number) => void } = {}): Client {
  return createClient({
    url: graphqlUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => options.onClose?.((event as { code: number }).code) },
  });
}

export const UPLOAD_PROGRESS = /* GraphQL */ `
  subscription Progress($uploadId: ID!) {
    uploadProgress(uploadId: $uploadId) {
      uploadId phase bytesReceived bytesTotal percent at
      stagedImage { id image { url } }
      error { code message }
    }
  }
`;

/** Collects every event of a subscription until it completes or fails; `onEvent` sees each as it comes. */
export async function collect(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  onEvent?: (event: any) => void,
): Promise<{ events: any[]; error?: unknown }> {
  const events: any[] = [];
  try {
    for await (const result of client.iterate({ query, variables })) {
      if (result.errors) return { events, error: result.errors };
      events.push(result.data);
      onEvent?.(result.data);
    }
    return { events };
  } catch (error) {
    return { events, error };
  }
}

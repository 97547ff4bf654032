import type { ApolloServerPlugin } from "@apollo/server";
import { RETRY_AFTER_SECONDS } from "../errors/asServiceUnavailable.js";
import { ErrorCode } from "../errors/ErrorCode.js";
import type { GraphQLContext } from "../graphql/context.js";

/**
 * A response whose error is SERVICE_UNAVAILABLE (formatError found the
 * database or the disk unable to serve) goes out as HTTP 503 with
 * Retry-After, in GraphQL's shape, so a client and a load balancer both know
 * to try again.
 */
export function serviceUnavailableStatus(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const errors = response.body.kind === "single" ? response.body.singleResult.errors : undefined;
          if (!errors?.some((error) => error.extensions?.["code"] === ErrorCode.ServiceUnavailable)) return;
          response.http.status = 503;
          response.http.headers.set("retry-after", String(RETRY_AFTER_SECONDS));
        },
      };
    },
  };
}

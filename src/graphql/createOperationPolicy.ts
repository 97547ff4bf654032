import { type GraphQLFormattedError, NoSchemaIntrospectionCustomRule, type ValidationRule } from "graphql";
import { createFormatError } from "../errors/formatError.js";
import { DEFAULT_OPERATION_LIMITS, type OperationLimits, operationLimitRules } from "./operationLimits.js";

/** What every operation is held to, on HTTP (Apollo Server) and WebSocket (graphql-ws) alike. */
export interface OperationPolicy {
  readonly production: boolean;
  /** Rules beyond GraphQL's own: depth, aliases and cost; and, in production, no introspection. */
  readonly validationRules: readonly ValidationRule[];
  /** What a client sees of an error: contract codes as they are; anything else masked in production, and no "Did you mean …". */
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

/**
 * The one operation policy. In production (`production`), introspection is
 * refused, internal errors are masked (INTERNAL_SERVER_ERROR, no message,
 * no stack, no SQL) and field suggestions are taken out of messages, so the
 * schema cannot be read off the errors either.
 */
export function createOperationPolicy(options: {
  production: boolean;
  limits?: OperationLimits;
  log: (error: unknown) => void;
}): OperationPolicy {
  const format = createFormatError({ production: options.production, log: options.log });
  return {
    production: options.production,
    validationRules: [
      ...operationLimitRules(options.limits ?? DEFAULT_OPERATION_LIMITS),
      ...(options.production ? [NoSchemaIntrospectionCustomRule] : []),
    ],
    formatError(formatted, error) {
      const shown = format(formatted, error);
      return options.production ? { ...shown, message: withoutSuggestions(shown.message) } : shown;
    },
  };
}

/** graphql-js ends a message with ` Did you mean "a", "b" or "c"?` when a name is close to one in the schema. */
function withoutSuggestions(message: string): string {
  return message.replace(/ Did you mean [^?]*\?$/, "");
}

import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import type { GraphQLError, ValidationContext, ValidationRule } from "graphql";

export interface OperationLimits {
  /** Deepest selection nesting. */
  readonly maxDepth: number;
  /** Aliases in one operation (each `thumbnail` alias may render an image). */
  readonly maxAliases: number;
  /** graphql-armor's cost: objects 2, scalars 1, times depth. */
  readonly maxCost: number;
}

/** Deep enough for the standard introspection query (21 deep: Apollo Sandbox, codegen), which is counted too. */
export const DEFAULT_OPERATION_LIMITS: OperationLimits = { maxDepth: 24, maxAliases: 20, maxCost: 5000 };

/**
 * Validation rules that refuse an operation before it runs when it is nested
 * too deep, carries too many aliases, or costs too much (GRAPHQL_VALIDATION_FAILED).
 */
export function operationLimitRules(limits: OperationLimits = DEFAULT_OPERATION_LIMITS): ValidationRule[] {
  // Report through the validation context (a validation error) rather than throw,
  // which graphql-ws would take for an internal error.
  const report = {
    propagateOnRejection: false,
    onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
  };
  return [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: false, ...report }),
    maxAliasesRule({ n: limits.maxAliases, ...report }),
    costLimitRule({ maxCost: limits.maxCost, ignoreIntrospection: true, ...report }),
  ] as unknown as ValidationRule[];
}

/** A page of a list read forwards: what a connection is made from (graphql/connection.ts). */
export interface Page<T> {
  /** Up to the asked-for number of items after the asked-for place, in the list's order. */
  readonly items: readonly T[];
  /** Whether an item comes before that place (false at the start). */
  readonly hasPreviousPage: boolean;
  /** Every item in the list, counted when asked. */
  readonly totalCount: () => Promise<number>;
}

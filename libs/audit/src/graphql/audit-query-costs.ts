import type { ComplexityEstimatorArgs } from '@nestjs/graphql';

// What each audit query costs in `auditQueryLimits`' units: one unit is one field of one row
// (graphql-query-complexity's simpleEstimator prices every other field at 1). Nest puts these in
// the fields' `extensions.complexity`, read by fieldExtensionsEstimator.

/**
 * Verifying one chain: every event of it is read and hashed, priced as 1,000 rows (with the
 * default `maxComplexity` of 50,000, fewer than fifty per request).
 */
export const CHAIN_VERIFICATION_COST = 1000;
/**
 * Verifying the whole log against the witness (every event, every checkpoint): with the default
 * `maxComplexity` at most two per request.
 */
export const LOG_VERIFICATION_COST = 20_000;
/** A scan of every event in a range (report, privilege changes), before its rows are priced. */
export const RANGE_SCAN_COST = 1000;
/** Rows priced for a list the query cannot bound (report rows, privilege changes, keys). */
const UNBOUNDED_ROWS = 100;
/** The page size priced when `first` is left out: the default of `api.defaultPageSize`. */
const DEFAULT_PAGE = 50;

type Estimate = (options: ComplexityEstimatorArgs) => number;

/** A page of `first` rows (the default page when left out), each costing what its selection does. */
export const pageCost =
  (fixed = 0): Estimate =>
  ({ args, childComplexity }) => {
    const first = typeof args.first === 'number' && args.first > 0 ? args.first : DEFAULT_PAGE;
    return fixed + first * Math.max(1, childComplexity);
  };

/** Work that does not depend on the selection (a verification), plus the selection once. */
export const fixedCost =
  (fixed: number): Estimate =>
  ({ childComplexity }) =>
    fixed + childComplexity;

/** A list of rows the arguments do not bound, after `fixed` work. */
export const unboundedListCost =
  (fixed = 0): Estimate =>
  ({ childComplexity }) =>
    fixed + UNBOUNDED_ROWS * Math.max(1, childComplexity);

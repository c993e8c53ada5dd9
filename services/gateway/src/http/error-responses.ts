import { ErrorResponse } from '@flywheel/schemas';

/** Failures any API route can answer: bad input, no or bad token, wrong role, unknown id, outages. */
const COMMON = [400, 401, 403, 404, 500, 503] as const;

/** Response schemas for a route's error statuses: the common ones plus `extra`. */
export function errorResponses(
  ...extra: readonly (409 | 413 | 415 | 422)[]
): Record<number, typeof ErrorResponse> {
  return Object.fromEntries([...COMMON, ...extra].map((status) => [status, ErrorResponse]));
}

/** What every POST can answer besides the common errors: conflicts, body limits, reused keys. */
export const COMMAND_ERRORS = errorResponses(409, 413, 415, 422);

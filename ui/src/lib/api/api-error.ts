/** A failed API call, with the gateway's own code and message (they say what to do). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Builds the error from an answer's status and JSON body (`{ error: { code, message }, requestId }`). */
export function apiErrorFrom(status: number, body: unknown): ApiError {
  if (isRecord(body) && isRecord(body.error) && typeof body.error.message === 'string') {
    const code = typeof body.error.code === 'string' ? body.error.code : `http_${status}`;
    const requestId = typeof body.requestId === 'string' ? body.requestId : null;
    return new ApiError(status, code, body.error.message, requestId);
  }
  const message =
    status === 502 || status === 503 || status === 504
      ? 'the gateway is not reachable right now; try again shortly'
      : `the gateway answered ${status}`;
  return new ApiError(status, `http_${status}`, message);
}

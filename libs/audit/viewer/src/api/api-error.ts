/** A failed API call, as the viewer shows it: a stable code and a message fit for the user. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const MAX_MESSAGE = 300;

/**
 * The user's message for a GraphQL error. The API already answers internal failures with a bare
 * "Internal server error" and an errorId (auditErrorFormatter); the viewer still never shows more
 * than a line of any message, and names the errorId so support can find the log entry.
 */
export function apiErrorOf(error: unknown): ApiError {
  const e = (error && typeof error === 'object' ? error : {}) as Record<string, unknown>;
  const extensions = (e.extensions && typeof e.extensions === 'object' ? e.extensions : {}) as Record<
    string,
    unknown
  >;
  const code = typeof extensions.code === 'string' ? extensions.code : 'ERROR';
  if (code === 'INTERNAL_SERVER_ERROR') {
    const id = typeof extensions.errorId === 'string' ? ` (error id ${extensions.errorId.slice(0, 64)})` : '';
    return new ApiError(code, `The server could not answer${id}.`, extensions);
  }
  const text = typeof e.message === 'string' && e.message.trim() ? e.message.trim() : 'The request failed.';
  return new ApiError(code, text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text, extensions);
}

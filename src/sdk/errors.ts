/**
 * An error answer of the hub: the BaseSpace envelope `{"ResponseStatus": {"ErrorCode", "Message"}}`
 * decoded, with the HTTP status. Bodies that are not an envelope (a proxy's HTML page, OAuth's
 * `{"error": ...}`) still give a code (`HTTP502`, the OAuth error) and a short message.
 */
export class ApiError extends Error {
  constructor(
    /** HTTP status of the answer. */
    readonly status: number,
    /** `ResponseStatus.ErrorCode`, e.g. `NotFound`, `BASESPACE.RUNS.NOT_UPLOADING`. */
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The hub could not be reached, or the connection broke before an answer (after any retries). */
export class NetworkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

/** True for the error `fetch` and our waits throw when their AbortSignal fires. */
export function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as { name?: unknown }).name === 'AbortError' ||
      (error as { name?: unknown }).name === 'TimeoutError')
  );
}

/** Decodes an error answer's body (already read as text) into an ApiError. */
export function apiErrorOf(status: number, text: string): ApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null) {
    const rs = (parsed as { ResponseStatus?: { ErrorCode?: unknown; Message?: unknown } })
      .ResponseStatus;
    if (rs && typeof rs.ErrorCode === 'string')
      return new ApiError(status, rs.ErrorCode, typeof rs.Message === 'string' ? rs.Message : '');
    const oauth = parsed as { error?: unknown; error_description?: unknown };
    if (typeof oauth.error === 'string')
      return new ApiError(
        status,
        oauth.error,
        typeof oauth.error_description === 'string' ? oauth.error_description : oauth.error,
      );
  }
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return new ApiError(status, `HTTP${status}`, snippet || `HTTP ${status}`);
}

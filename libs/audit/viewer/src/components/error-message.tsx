import type { ApiError } from '../api/api-error';

const TITLES: Record<string, string> = {
  UNAUTHENTICATED: 'Not signed in',
  FORBIDDEN: 'Access refused',
  BAD_USER_INPUT: 'The request was not accepted',
  NETWORK: 'No connection',
  QUERY_TOO_COMPLEX: 'The request was too large',
};

/** The API's refusal or failure, as a message: the page around it stays usable. */
export function ErrorMessage({ error, onSignIn }: { error: ApiError; onSignIn?: () => void }) {
  return (
    <div class="message message-error" role="alert" data-code={error.code}>
      <p>
        <strong>{TITLES[error.code] ?? 'Something went wrong'}</strong>: {error.message}
      </p>
      {error.code === 'UNAUTHENTICATED' && onSignIn && (
        <button type="button" onClick={onSignIn}>
          Sign in again
        </button>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

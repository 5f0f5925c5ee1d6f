import { useState } from 'preact/hooks';
import { ApiError } from '../api/api-error';
import { login } from '../api/audit-queries';
import { ErrorMessage } from '../components/error-message';
import { config } from '../config';
import { rawTextOf } from '../lib/format';
import { COOKIE_SESSION, pastedToken } from '../session';

/**
 * The viewer holds no credentials of its own: the user signs in with the app's login mutation
 * (when `viewer.login` names one), pastes a bearer token, or relies on the app's session cookie.
 */
export function SignInPage({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const names = config.login;
  const signIn = (e: Event) => {
    e.preventDefault();
    if (!names) return;
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    login(names, rawTextOf(form.get('username')), rawTextOf(form.get('password'))).then(
      (token) => onSignedIn(token),
      (failure: unknown) => {
        setBusy(false);
        setError(failure instanceof ApiError ? failure : new ApiError('VIEWER_ERROR', 'The sign-in failed.'));
      },
    );
  };
  const useToken = (e: Event) => {
    e.preventDefault();
    const token = pastedToken(rawTextOf(new FormData(e.currentTarget as HTMLFormElement).get('token')));
    if (token) onSignedIn(token);
    else
      setError(
        new ApiError('BAD_USER_INPUT', 'That is not a bearer token (one line of printable characters).'),
      );
  };
  return (
    <>
      <h1>Sign in</h1>
      <p>The viewer reads the audit log with your own account: you see what the audit API lets you see.</p>
      {error && <ErrorMessage error={error} />}
      {names && (
        <form class="sign-in" onSubmit={signIn} aria-labelledby="login-heading">
          <h2 id="login-heading">With your username and password</h2>
          <div class="field">
            <label for="field-username">Username</label>
            <input id="field-username" name="username" autoComplete="username" required maxLength={512} />
          </div>
          <div class="field">
            <label for="field-password">Password</label>
            <input
              id="field-password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              maxLength={512}
            />
          </div>
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      )}
      <form class="sign-in" onSubmit={useToken} aria-labelledby="token-heading">
        <h2 id="token-heading">{names ? 'Or with a bearer token' : 'With a bearer token'}</h2>
        <div class="field">
          <label for="field-token">Bearer token</label>
          <textarea id="field-token" name="token" rows={3} required spellcheck={false} />
        </div>
        <button type="submit">Use this token</button>
      </form>
      <p>
        <button type="button" class="link-button" onClick={() => onSignedIn(COOKIE_SESSION)}>
          Continue with this site's session cookie
        </button>
      </p>
    </>
  );
}

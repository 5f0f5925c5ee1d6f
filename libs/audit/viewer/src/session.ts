const KEY = 'audit-viewer.token';

/**
 * Stored instead of a token when the user relies on the app's own session cookie: the viewer then
 * sends no Authorization header, only the cookies (credentials: 'same-origin').
 */
export const COOKIE_SESSION = 'cookie-session';

// NOTE: sessionStorage, not localStorage: the token lives as long as the tab, and storage may be
// disabled altogether (then the user signs in again on each load, and nothing breaks).
export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage refused: the token stays for this page only
  }
}

/** A pasted token, without a "Bearer " prefix; null when it could not be a header value. */
export function pastedToken(text: string): string | null {
  const token = text.trim().replace(/^bearer\s+/i, '');
  return /^[\x21-\x7e]{1,8192}$/.test(token) ? token : null;
}

import type { Route } from './router';

/** What every page is given. */
export interface PageProps {
  route: Route;
  /** Forget the credentials and show the sign-in screen (after UNAUTHENTICATED). */
  onSignIn: () => void;
}

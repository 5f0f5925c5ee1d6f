/**
 * The audit viewer (docs/viewer.md): a static single-page app shipped in the package, served by
 * the module at `path`, that reads only the audit GraphQL API with the signed-in user's own
 * credentials. Off unless `viewer` is set.
 */
export interface AuditViewerOptions {
  /** Where the viewer is served, e.g. `/audit` (a path of letters, digits, `-`, `_`, `.`, `/`). Required. */
  path: string;
  /** The app's GraphQL endpoint (same origin), e.g. `/api/graphql`. Default: `/graphql`. */
  graphqlPath?: string;
  /**
   * A login mutation of the app that the sign-in screen may call with a username and a password,
   * taking the bearer token from `tokenField` of its result: e.g. `{ mutation: 'login',
   * tokenField: 'token' }` for `login(username: String!, password: String!): { token }`. Argument
   * names default to `username` and `password`. Default: none (the user pastes a bearer token).
   */
  login?: { mutation: string; tokenField: string; usernameArg?: string; passwordArg?: string };
  /** The page title and heading. Default: `Audit viewer`. */
  title?: string;
}

/** What the browser is told (the `audit-viewer-config` meta tag): nothing secret. */
export interface ViewerClientConfig {
  graphqlPath: string;
  title: string;
  login: { mutation: string; tokenField: string; usernameArg: string; passwordArg: string } | null;
  /** The API's page sizes (`api.defaultPageSize`, `api.maxPageSize`), so the viewer never asks for more. */
  defaultPageSize: number;
  maxPageSize: number;
}

/** The viewer's options once validated, with their defaults. */
export interface ResolvedViewerOptions {
  /** Normalised: a leading `/`, no trailing `/`. */
  path: string;
  client: Omit<ViewerClientConfig, 'defaultPageSize' | 'maxPageSize'>;
}

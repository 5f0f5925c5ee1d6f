/** The settings the server writes into the page (AuditViewerMiddleware, `audit-viewer-config`). */
export interface ViewerConfig {
  graphqlPath: string;
  title: string;
  login: { mutation: string; tokenField: string; usernameArg: string; passwordArg: string } | null;
  defaultPageSize: number;
  maxPageSize: number;
}

const FALLBACK: ViewerConfig = {
  graphqlPath: '/graphql',
  title: 'Audit viewer',
  login: null,
  defaultPageSize: 50,
  maxPageSize: 500,
};

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

function pageSize(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

function loginOf(value: unknown): ViewerConfig['login'] {
  if (!value || typeof value !== 'object') return null;
  const { mutation, tokenField, usernameArg, passwordArg } = value as Record<string, unknown>;
  const names = [mutation, tokenField, usernameArg, passwordArg];
  // NOTE: pasted into a GraphQL document, so checked again here whatever the server sent.
  if (!names.every((n): n is string => typeof n === 'string' && NAME.test(n))) return null;
  const [m, t, u, p] = names;
  return { mutation: m, tokenField: t, usernameArg: u, passwordArg: p };
}

/** Reads the meta tag once; a page opened without the server (vite dev) gets the defaults. */
export function readConfig(doc: Document = document): ViewerConfig {
  const content = doc.querySelector('meta[name="audit-viewer-config"]')?.getAttribute('content') ?? '';
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(content);
    if (parsed && typeof parsed === 'object') raw = parsed as Record<string, unknown>;
  } catch {
    // the placeholder itself: no server filled it in
  }
  const maxPageSize = pageSize(raw.maxPageSize, FALLBACK.maxPageSize);
  return {
    graphqlPath:
      typeof raw.graphqlPath === 'string' && raw.graphqlPath.startsWith('/')
        ? raw.graphqlPath
        : FALLBACK.graphqlPath,
    title: typeof raw.title === 'string' && raw.title ? raw.title : FALLBACK.title,
    login: loginOf(raw.login),
    defaultPageSize: Math.min(pageSize(raw.defaultPageSize, FALLBACK.defaultPageSize), maxPageSize),
    maxPageSize,
  };
}

export const config: ViewerConfig = readConfig();

import type { AuditViewerOptions, ResolvedViewerOptions } from './audit-viewer-options.interface';

const URL_PATH = /^(\/[A-Za-z0-9._-]+)+$/;
// NOTE: the names are pasted into the login mutation the browser sends, so they must be GraphQL
// names and nothing else: no option can smuggle a selection or an argument into the document.
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

function trimSlashes(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function checkPath(problems: string[], name: string, value: unknown): string {
  const path = typeof value === 'string' ? trimSlashes(value) : '';
  if (!URL_PATH.test(path) || path.split('/').some((part) => part === '.' || part === '..'))
    problems.push(`${name} must be a path such as /audit (letters, digits, "-", "_", "." and "/")`);
  return path;
}

function checkName(problems: string[], name: string, value: unknown, fallback?: string): string {
  const text = value === undefined && fallback !== undefined ? fallback : value;
  if (typeof text !== 'string' || !GRAPHQL_NAME.test(text)) {
    problems.push(`${name} must be a GraphQL name (letters, digits and "_")`);
    return '';
  }
  return text;
}

/** Validates `viewer` (undefined or false: no viewer) and applies its defaults. */
export function resolveViewerOptions(
  viewer: AuditViewerOptions | false | undefined,
  problems: string[],
): ResolvedViewerOptions | null {
  if (viewer === undefined || viewer === false) return null;
  if (viewer === null || typeof viewer !== 'object') {
    problems.push("viewer must be an object such as { path: '/audit' }");
    return null;
  }
  const path = checkPath(problems, 'viewer.path', viewer.path);
  const graphqlPath = checkPath(problems, 'viewer.graphqlPath', viewer.graphqlPath ?? '/graphql');
  if (path === graphqlPath) problems.push('viewer.path must differ from viewer.graphqlPath');
  const title = viewer.title ?? 'Audit viewer';
  if (typeof title !== 'string' || title.trim() === '' || title.length > 100)
    problems.push('viewer.title must be a non-empty text of at most 100 characters');
  const { login } = viewer;
  if (login !== undefined && (login === null || typeof login !== 'object'))
    problems.push("viewer.login must be an object such as { mutation: 'login', tokenField: 'token' }");
  return {
    path,
    client: {
      graphqlPath,
      title: String(title),
      login:
        login && typeof login === 'object'
          ? {
              mutation: checkName(problems, 'viewer.login.mutation', login.mutation),
              tokenField: checkName(problems, 'viewer.login.tokenField', login.tokenField),
              usernameArg: checkName(problems, 'viewer.login.usernameArg', login.usernameArg, 'username'),
              passwordArg: checkName(problems, 'viewer.login.passwordArg', login.passwordArg, 'password'),
            }
          : null,
    },
  };
}

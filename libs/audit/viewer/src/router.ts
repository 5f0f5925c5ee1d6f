import { useEffect, useState } from 'preact/hooks';

export type Page = 'search' | 'trail' | 'revert' | 'fields' | 'privileges' | 'integrity' | 'reports';

const PAGES: readonly Page[] = ['search', 'trail', 'revert', 'fields', 'privileges', 'integrity', 'reports'];

/** A viewer URL: `#/<page>/<part>/<part>?<params>`, so every view can be bookmarked and shared. */
export interface Route {
  page: Page;
  parts: string[];
  params: URLSearchParams;
  /** The hash itself: a key that changes whenever the route does. */
  key: string;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    // NOTE: a hand-edited URL with a stray "%" is shown as typed rather than breaking the page.
    return part;
  }
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const queryAt = text.indexOf('?');
  const path = queryAt < 0 ? text : text.slice(0, queryAt);
  const [first = '', ...rest] = path.split('/');
  const page = (PAGES as readonly string[]).includes(first) ? (first as Page) : 'search';
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(queryAt < 0 ? '' : text.slice(queryAt + 1));
  } catch {
    params = new URLSearchParams();
  }
  return { page, parts: rest.filter(Boolean).map(decode), params, key: hash };
}

/** The hash of a route; empty parameters are left out. */
export function href(
  page: Page,
  parts: string[] = [],
  params: Record<string, string | undefined> = {},
): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
  const path = [page, ...parts.map(encodeURIComponent)].join('/');
  const q = query.toString();
  return `#/${path}${q ? `?${q}` : ''}`;
}

export function trailHref(entityType: string, entityId: string, params: Record<string, string> = {}): string {
  return href('trail', [entityType, entityId], params);
}

export function navigate(hash: string): void {
  window.location.hash = hash;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

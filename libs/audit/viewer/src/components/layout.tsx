import type { ComponentChildren } from 'preact';
import { config } from '../config';
import { href, type Page } from '../router';

const NAV: [Page, string][] = [
  ['search', 'Search'],
  ['fields', 'Field history'],
  ['privileges', 'Privilege changes'],
  ['integrity', 'Integrity'],
  ['reports', 'Reports'],
];

function skipToContent(): void {
  document.getElementById('content')?.focus();
}

/** The frame of every page: the menu (when signed in), then the page in <main>. */
export function Layout({
  page,
  routeKey,
  onSignOut,
  children,
}: {
  page: Page | null;
  /** The hash whose page <main> holds (null on the sign-in screen). */
  routeKey: string | null;
  onSignOut: (() => void) | null;
  children: ComponentChildren;
}) {
  return (
    <>
      <header class="top">
        {/* NOTE: a button, not an #anchor: the hash is the router's. */}
        <button type="button" class="skip" onClick={skipToContent}>
          Skip to content
        </button>
        <p class="brand">{config.title}</p>
        {onSignOut && (
          <nav aria-label="Audit viewer pages">
            <ul>
              {NAV.map(([target, label]) => (
                <li key={target}>
                  <a href={href(target)} aria-current={page === target ? 'page' : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {onSignOut && (
          <button type="button" class="sign-out" onClick={onSignOut}>
            Sign out
          </button>
        )}
      </header>
      {/* NOTE: data-route says which hash the content belongs to: the browser changes the URL
          a task before the hashchange that renders it, so the URL alone does not tell whether
          the rows on screen answer it (the e2e suite waits on this). */}
      <main id="content" tabIndex={-1} data-route={routeKey ?? undefined}>
        {children}
      </main>
    </>
  );
}

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
  onSignOut,
  children,
}: {
  page: Page | null;
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
      <main id="content" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

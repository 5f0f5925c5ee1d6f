import type { ComponentChildren } from 'preact';

/**
 * A wide table that scrolls sideways on a phone. NOTE: focusable and labelled, so keyboard users
 * can scroll it too (axe: scrollable-region-focusable).
 */
export function TableRegion({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-region" role="region" aria-label={`${label} table`} tabIndex={0}>
      {children}
    </div>
  );
}

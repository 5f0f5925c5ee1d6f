import type { PageInfo } from '../api/audit-queries';

/** Paging on the API's cursors: the next page, and back to the first (the browser's Back goes one page back). */
export function Pager({
  pageInfo,
  hrefFor,
  onFirstPage,
}: {
  pageInfo: PageInfo;
  hrefFor: (after: string | undefined) => string;
  onFirstPage: boolean;
}) {
  if (onFirstPage && !pageInfo.hasNextPage) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {!onFirstPage && <a href={hrefFor(undefined)}>First page</a>}
      {pageInfo.hasNextPage && pageInfo.endCursor && <a href={hrefFor(pageInfo.endCursor)}>Next page</a>}
    </nav>
  );
}

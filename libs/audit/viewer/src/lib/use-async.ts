import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/api-error';

export type AsyncState<T> =
  { status: 'loading' } | { status: 'done'; data: T } | { status: 'error'; error: ApiError };

function asApiError(error: unknown): ApiError {
  // NOTE: anything else is a bug of the viewer's; its text is not for the user.
  return error instanceof ApiError
    ? error
    : new ApiError('VIEWER_ERROR', 'The viewer could not show this answer.');
}

/**
 * Runs `load` whenever `key` changes; an answer to an older key is dropped, and never shown under
 * a new key: the render for a new key comes before its effect, and returning the previous key's
 * answer there showed another query's rows under the new one's headings (a report grouped by day
 * labelled "Action").
 */
export function useAsync<T>(load: () => Promise<T>, key: string): AsyncState<T> {
  const [state, setState] = useState<{ key: string; value: AsyncState<T> }>({
    key,
    value: { status: 'loading' },
  });
  useEffect(() => {
    let current = true;
    setState({ key, value: { status: 'loading' } });
    load().then(
      (data) => current && setState({ key, value: { status: 'done', data } }),
      (error: unknown) => current && setState({ key, value: { status: 'error', error: asApiError(error) } }),
    );
    return () => {
      current = false;
    };
    // NOTE: `key` stands for every input of `load`, so a new closure alone does not reload.
  }, [key]);
  return state.key === key ? state.value : LOADING;
}

const LOADING = { status: 'loading' } as const;

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

/** Runs `load` whenever `key` changes; an answer to an older key is dropped. */
export function useAsync<T>(load: () => Promise<T>, key: string): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  useEffect(() => {
    let current = true;
    setState({ status: 'loading' });
    load().then(
      (data) => current && setState({ status: 'done', data }),
      (error: unknown) => current && setState({ status: 'error', error: asApiError(error) }),
    );
    return () => {
      current = false;
    };
    // NOTE: `key` stands for every input of `load`, so a new closure alone does not reload.
  }, [key]);
  return state;
}

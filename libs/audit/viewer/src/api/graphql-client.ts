import { config } from '../config';
import { COOKIE_SESSION, storedToken } from '../session';
import { ApiError, apiErrorOf } from './api-error';

/**
 * One GraphQL request with the user's own credentials: the bearer token they signed in with, and
 * the app's cookies (same origin only), so the API applies its rules to them exactly as to any
 * other client.
 */
export async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = storedToken();
  if (token && token !== COOKIE_SESSION) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(config.graphqlPath, {
      method: 'POST',
      credentials: 'same-origin',
      headers,
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('NETWORK', 'The server could not be reached. Check the connection and retry.');
  }
  let body: { data?: T | null; errors?: unknown[] };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    throw new ApiError('BAD_RESPONSE', `The server answered HTTP ${res.status} without a GraphQL result.`);
  }
  if (Array.isArray(body?.errors) && body.errors.length > 0) throw apiErrorOf(body.errors[0]);
  if (body?.data === null || body?.data === undefined)
    throw new ApiError('BAD_RESPONSE', `The server answered HTTP ${res.status} without data.`);
  return body.data;
}

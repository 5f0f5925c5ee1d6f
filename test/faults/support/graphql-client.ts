export interface GraphqlError {
  message: string;
  extensions?: { code?: string };
}

/** A GraphQL answer as received: the HTTP status, then data and errors from the body. */
export interface GraphqlResponse<T> {
  status: number;
  data?: T | null;
  errors?: GraphqlError[];
}

export interface GraphqlRequestOptions {
  token?: string;
  /** Sent as x-request-id: the app records it in the events the request causes. */
  requestId?: string;
  timeoutMs?: number;
}

/** The demo password the faults suite starts the app with (DEMO_PASSWORD). */
export const FAULTS_PASSWORD = 'faults-demo-password';

/** A client of the example app's /graphql over real HTTP (global fetch). Network failures throw. */
export class GraphqlClient {
  constructor(readonly baseUrl: string) {}

  async request<T>(
    query: string,
    variables: object = {},
    { token, requestId, timeoutMs = 30000 }: GraphqlRequestOptions = {},
  ): Promise<GraphqlResponse<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (requestId) headers['x-request-id'] = requestId;
    const res = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    try {
      return { status: res.status, ...(JSON.parse(text) as Omit<GraphqlResponse<T>, 'status'>) };
    } catch {
      return { status: res.status, errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
    }
  }

  /** A bearer token for a seeded demo user (alice: admin of acme; grace: global auditor). */
  async login(username: string): Promise<string> {
    const res = await this.request<{ login: { token: string } }>(
      'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
      { u: username, p: FAULTS_PASSWORD },
    );
    if (!res.data?.login) throw new Error(`login ${username} failed: ${JSON.stringify(res)}`);
    return res.data.login.token;
  }
}

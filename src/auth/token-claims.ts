const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What a bearer token asserts: the user (`sub`) and the credentials version it was issued at
 * (`ver`). Nothing else: role, tenant and name are read from the user's row on every request.
 */
export interface TokenClaims {
  sub: string;
  ver: number;
}

export function isTokenClaims(claims: unknown): claims is TokenClaims {
  const { sub, ver } = (claims ?? {}) as Partial<Record<keyof TokenClaims, unknown>>;
  return typeof sub === 'string' && UUID.test(sub) && Number.isInteger(ver);
}

import type { LogVerification } from '../api/audit-queries';

const KEY = 'audit-viewer.last-log-verification';

export interface RememberedVerification {
  at: string;
  result: LogVerification;
}

/**
 * The API runs a full verification on request but offers no query for the last stored result,
 * so the viewer remembers the last one it ran in this browser. Whatever is stored is re-checked,
 * since anything in the browser's storage may have been edited.
 */
export function lastVerification(): RememberedVerification | null {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    if (!parsed || typeof parsed !== 'object') return null;
    const { at, result } = parsed as Record<string, unknown>;
    const r = result as Record<string, unknown> | null;
    if (typeof at !== 'string' || !r || typeof r.valid !== 'boolean' || !Array.isArray(r.failures))
      return null;
    return parsed as RememberedVerification;
  } catch {
    return null;
  }
}

export function rememberVerification(result: LogVerification): RememberedVerification {
  const entry = { at: new Date().toISOString(), result };
  try {
    localStorage.setItem(KEY, JSON.stringify(entry));
  } catch {
    // storage refused: shown for this page only
  }
  return entry;
}

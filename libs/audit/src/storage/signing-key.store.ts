import type { SigningKeyRow } from '../keys/signing-key.rows';
import type { SqlSession } from './sql-session';

export async function insertActiveKey(
  db: SqlSession,
  key: { keyId: string; keySetId: string; name: string; algorithm: string; verifierKey: string },
  notBefore: Date,
): Promise<void> {
  await db.raw(
    `insert into audit.signing_keys (key_id, key_set_id, name, algorithm, verifier_key, not_before, status)
     values (?, ?, ?, ?, ?, ?, 'ACTIVE')`,
    [key.keyId, key.keySetId, key.name, key.algorithm, key.verifierKey, notBefore],
  );
}

export async function retireKey(db: SqlSession, keyId: string, notAfter: Date): Promise<void> {
  await db.raw(
    "update audit.signing_keys set status = 'RETIRED', not_after = ? where key_id = ? and status = 'ACTIVE'",
    [notAfter, keyId],
  );
}

export async function setActiveKey(db: SqlSession, keyId: string): Promise<void> {
  await db.raw('update audit.log_head set active_key_id = ?', [keyId]);
}

/** The key marked compromised from `since`, or undefined when there is none not already marked. */
export async function markKeyCompromised(
  db: SqlSession,
  keyId: string,
  since: Date,
): Promise<SigningKeyRow | undefined> {
  const { rows } = await db.raw<{ rows: SigningKeyRow[] }>(
    `update audit.signing_keys set status = 'COMPROMISED', compromised_at = ?
     where key_id = ? and compromised_at is null returning *`,
    [since, keyId],
  );
  return rows[0];
}

export async function storedSigningKeys(db: SqlSession): Promise<SigningKeyRow[]> {
  return (await db.raw<{ rows: SigningKeyRow[] }>('select * from audit.signing_keys order by not_before'))
    .rows;
}

/** The active key id the log head names; `lock` holds the log head (the lock every sealer takes). */
export async function activeKeyId(db: SqlSession, lock: boolean): Promise<string | null> {
  const { rows } = await db.raw<{ rows: { active_key_id: string | null }[] }>(
    `select active_key_id from audit.log_head${lock ? ' for update' : ''}`,
  );
  return rows[0]?.active_key_id ?? null;
}

import { join } from 'node:path';
import { DirectoryArchiveSink } from './archive/archive-sink';
import type { AuditModuleOptions } from './audit-options.interface';
import { InvalidAuditOptionsError } from './errors/invalid-audit-options.error';
import { DirectoryKeyProvider } from './keys/directory.key-provider';
import { EnvKeyProvider } from './keys/env.key-provider';
import { DirectoryWitness } from './witness/directory.witness';

/** The environment, as the caller hands it over: the library itself never reads `process.env`. */
export type AuditEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * The options the conventional `AUDIT_*` variables stand for, for an app (or the CLI) that
 * configures the library from its environment in one place: `AuditModule.forRoot({
 * ...auditOptionsFromEnv(process.env), … })`. Unset variables leave the option to its default.
 *
 * | variable | option |
 * | --- | --- |
 * | `AUDIT_SIGNING_KEY` | `keyProvider`: EnvKeyProvider (signer-key strings) |
 * | `AUDIT_KEY_DIR` | `keyProvider`: DirectoryKeyProvider (when no `AUDIT_SIGNING_KEY`); the subject KEK file's directory |
 * | `AUDIT_WITNESS_DIR` | `witness`: DirectoryWitness |
 * | `AUDIT_ARCHIVE_DIR` | `archiveSink`: DirectoryArchiveSink |
 * | `AUDIT_SUBJECT_KEK` | `subjectKeyEncryptionKey` |
 * | `AUDIT_LOG_ORIGIN`, `AUDIT_KEY_SET_ID` | `logOrigin`, `keySetId` |
 * | `AUDIT_INPROCESS_WORKER=false` | `inProcessWorker: false` |
 * | `AUDIT_SEAL_BATCH_EVENTS`, `AUDIT_JOB_LOCK_MS`, `AUDIT_WORKER_CONCURRENCY` | `sealBatchEvents`, `jobLockMs`, `workerConcurrency` |
 *
 * With `NODE_ENV=production` the signing keys and the witness must be named (no files appear in
 * the working directory of a production process): InvalidAuditOptionsError says which.
 */
export function auditOptionsFromEnv(env: AuditEnvironment): AuditModuleOptions {
  const set = (name: string) => (env[name] ? env[name] : undefined);
  const keyDir = set('AUDIT_KEY_DIR');
  if (env.NODE_ENV === 'production') {
    const missing = [
      ...(set('AUDIT_SIGNING_KEY') || keyDir
        ? []
        : ['AUDIT_SIGNING_KEY or AUDIT_KEY_DIR (the keyProvider option)']),
      ...(set('AUDIT_WITNESS_DIR') ? [] : ['AUDIT_WITNESS_DIR (the witness option)']),
    ];
    if (missing.length) {
      throw new InvalidAuditOptionsError(
        missing.map(
          (m) =>
            `${m} must be set with NODE_ENV=production: the defaults are directories under the working directory`,
        ),
      );
    }
  }
  const number = (name: string) => (set(name) === undefined ? undefined : Number(set(name)));
  const options: AuditModuleOptions = {
    keyProvider: set('AUDIT_SIGNING_KEY')
      ? new EnvKeyProvider('AUDIT_SIGNING_KEY', env)
      : keyDir
        ? new DirectoryKeyProvider(keyDir)
        : undefined,
    witness: set('AUDIT_WITNESS_DIR') ? new DirectoryWitness(set('AUDIT_WITNESS_DIR')!) : undefined,
    archiveSink: set('AUDIT_ARCHIVE_DIR') ? new DirectoryArchiveSink(set('AUDIT_ARCHIVE_DIR')!) : undefined,
    subjectKeyEncryptionKey: set('AUDIT_SUBJECT_KEK'),
    subjectKeyEncryptionKeyFile: keyDir ? join(keyDir, 'subject-kek') : undefined,
    logOrigin: set('AUDIT_LOG_ORIGIN'),
    keySetId: set('AUDIT_KEY_SET_ID'),
    inProcessWorker: env.AUDIT_INPROCESS_WORKER === 'false' ? false : undefined,
    sealBatchEvents: number('AUDIT_SEAL_BATCH_EVENTS'),
    jobLockMs: number('AUDIT_JOB_LOCK_MS'),
    workerConcurrency: number('AUDIT_WORKER_CONCURRENCY'),
  };
  // NOTE: unset options left out, so that spreading this never overrides an option given before it.
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

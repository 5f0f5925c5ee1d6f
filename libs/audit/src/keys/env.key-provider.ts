import { parseSignerKey, type NoteSigner } from '../crypto/signed-note';
import { KeyProviderError } from '../errors/key-provider.error';
import type { AuditKeyProvider } from './audit-key-provider';

/**
 * Keys from an environment variable (default `AUDIT_SIGNING_KEY`): one or more signer-key strings
 * (`PRIVATE+KEY+…`), separated by white space or commas, as a secret store injects them. It cannot
 * create or destroy keys: to rotate, add the new key to the variable and restart (the registry
 * activates a key it has not seen), then remove the old one.
 */
export class EnvKeyProvider implements AuditKeyProvider {
  /** `env`: the environment to read, handed over by the app (the library never reads `process.env`). */
  constructor(
    private readonly variable: string,
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  signers(): Promise<NoteSigner[]> {
    const value = this.env[this.variable] ?? '';
    // NOTE: parse errors name the variable, never its value: it is a private key.
    try {
      return Promise.resolve(
        value
          .split(/[\s,]+/)
          .filter(Boolean)
          .map(parseSignerKey),
      );
    } catch {
      return Promise.reject(new KeyProviderError(`${this.variable} holds a malformed signer key.`));
    }
  }

  createSigner(): Promise<NoteSigner> {
    return Promise.reject(
      new KeyProviderError(
        `Keys from ${this.variable} cannot be rotated by the library: add a new signer key to ${this.variable} and restart.`,
      ),
    );
  }

  destroySigner(): Promise<void> {
    return Promise.resolve();
  }
}

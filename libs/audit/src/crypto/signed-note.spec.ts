import { InvalidNoteError } from '../errors/invalid-note.error';
import {
  formatVerifierKey,
  noteSignaturesValid,
  noteSignerFromSeed,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from './signed-note';

// The example of golang.org/x/mod/sumdb/note (the reference implementation's documentation).
const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const NOTE = `${TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

describe('C2SP signed notes (Ed25519)', () => {
  it('derives the reference verifier key and key id from the reference signer key', () => {
    const signer = parseSignerKey(SKEY);
    expect(signer.keyId.toString('hex')).toBe('c74f20a3');
    expect(formatVerifierKey(signer)).toBe(VKEY);
  });

  it('signs the reference text byte for byte as the reference implementation', () => {
    expect(signNote(TEXT, [parseSignerKey(SKEY)])).toBe(NOTE);
  });

  it('opens the reference note with the reference verifier key', () => {
    expect(openNote(NOTE, [parseVerifierKey(VKEY)])).toEqual({ text: TEXT, verifiedBy: ['PeterNeumann'] });
  });

  it('rejects an altered text, an unknown-only signer, and a bad signature by a known key', () => {
    const verifier = parseVerifierKey(VKEY);
    expect(() => openNote(NOTE.replace('cryptography', 'cryptographY'), [verifier])).toThrow(
      InvalidNoteError,
    );
    const other = noteSignerFromSeed('Other', Buffer.alloc(32, 7));
    expect(() => openNote(signNote(TEXT, [other]), [verifier])).toThrow(/not signed by any known key/);
    const forged = NOTE.replace('x08go', 'x08gp');
    expect(() => openNote(forged, [verifier])).toThrow(InvalidNoteError);
  });

  it('ignores unknown signers next to a known one', () => {
    const other = noteSignerFromSeed('Other', Buffer.alloc(32, 7));
    const note = signNote(TEXT, [other, parseSignerKey(SKEY)]);
    expect(openNote(note, [parseVerifierKey(VKEY)]).verifiedBy).toEqual(['PeterNeumann']);
  });

  it('rejects malformed keys and a key id that does not match', () => {
    expect(() =>
      parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
    ).toThrow(/key id/);
    expect(() => parseVerifierKey('no-plus-signs')).toThrow(InvalidNoteError);
    expect(() => noteSignerFromSeed('has space', Buffer.alloc(32))).toThrow(InvalidNoteError);
  });

  it('checks signatures in the thread pool exactly as openNote does', async () => {
    const verifier = parseVerifierKey(VKEY);
    const other = noteSignerFromSeed('Other', Buffer.alloc(32, 7));
    const forged = NOTE.replace('yyBwJnAM=', 'yyBwJnAA='); // the signature's last bytes, not the key id
    expect(await noteSignaturesValid(NOTE, [verifier])).toBe(true);
    expect(await noteSignaturesValid(NOTE.replace('cryptography', 'cryptographY'), [verifier])).toBe(false);
    expect(await noteSignaturesValid(forged, [verifier])).toBe(false);
    expect(await noteSignaturesValid(signNote(TEXT, [other]), [verifier])).toBe(false);
    expect(await noteSignaturesValid('no signature block', [verifier])).toBe(false);
  });

  it('skips only the Ed25519 check of a note verified ahead: parsing and the known key still apply', () => {
    const verifier = parseVerifierKey(VKEY);
    const forged = NOTE.replace('yyBwJnAM=', 'yyBwJnAA='); // the signature's last bytes, not the key id
    // Were the set wrong, the skip would accept a forgery: that is why only noteSignaturesValid fills it.
    expect(openNote(forged, [verifier], new Set([forged])).verifiedBy).toEqual(['PeterNeumann']);
    expect(() => openNote(forged, [verifier], new Set([NOTE]))).toThrow(InvalidNoteError);
    const unknown = signNote(TEXT, [noteSignerFromSeed('Other', Buffer.alloc(32, 7))]);
    expect(() => openNote(unknown, [verifier], new Set([unknown]))).toThrow(/not signed by any known key/);
  });
});

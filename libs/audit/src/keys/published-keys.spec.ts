import { formatPublishedKeys, parsePublishedKeys } from './published-keys';
import type { SigningKeyRecord } from './signing-key-record';

const key: SigningKeyRecord = {
  keyId: '0a1b2c3d',
  keySetId: 'default',
  name: 'audit-ledger/log',
  algorithm: 'ed25519',
  verifierKey: 'audit-ledger/log+0a1b2c3d+AQ==',
  notBefore: new Date('2026-11-01T00:00:00.000Z'),
  notAfter: new Date('2026-12-01T00:00:00.000Z'),
  status: 'RETIRED',
  compromisedAt: null,
};
const stored = () => JSON.parse(formatPublishedKeys([key])) as Record<string, unknown>[];
const parse = (records: unknown) => () => parsePublishedKeys(JSON.stringify(records));

describe('published keys files (the offline verifier trusts their windows)', () => {
  it('round-trips a record, dates included', () => {
    expect(parsePublishedKeys(formatPublishedKeys([key]))).toEqual([key]);
  });

  it('refuses a record whose window it could not judge, instead of trusting the key at every time', () => {
    for (const broken of [
      { notBefore: undefined },
      { notBefore: 'yesterday' },
      { notAfter: undefined },
      { notAfter: 'soon' },
      { compromisedAt: 42 },
      { status: 'TRUSTED' },
      { status: 'COMPROMISED', compromisedAt: null },
    ]) {
      const [record] = stored();
      expect(parse([{ ...record, ...broken }])).toThrow(TypeError);
    }
  });

  it('refuses what is not a list of records', () => {
    expect(parse({ keys: [] })).toThrow(TypeError);
    expect(parse([null])).toThrow(TypeError);
    expect(() => parsePublishedKeys('not json')).toThrow(SyntaxError);
  });
});

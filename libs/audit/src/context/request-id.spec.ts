import { requestIdFrom, requestIdResolver } from './request-id';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it('keeps a well-formed incoming id', () => {
    expect(requestIdFrom('abc-123_X.y')).toBe('abc-123_X.y');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
  });

  it('replaces a missing, oversized or unprintable id with a fresh UUID v7', () => {
    for (const bad of [undefined, '', 'a b', 'x'.repeat(129), 'bad\nline']) {
      expect(requestIdFrom(bad)).toMatch(UUID_V7);
    }
  });
});

describe('requestIdResolver', () => {
  const from = (remoteAddress: string, id = 'client-chosen') => ({
    headers: { 'x-request-id': id },
    socket: { remoteAddress },
  });

  it('ignores the header by default: a client reaching the app directly cannot choose its id', () => {
    const idOf = requestIdResolver();
    expect(idOf(from('127.0.0.1'))).toMatch(UUID_V7);
    expect(idOf(from('203.0.113.7'))).toMatch(UUID_V7);
  });

  it('keeps a well-formed id sent by a trusted proxy only', () => {
    const idOf = requestIdResolver('10.0.0.0/8');
    expect(idOf(from('10.1.2.3'))).toBe('client-chosen');
    expect(idOf(from('203.0.113.7'))).toMatch(UUID_V7);
    expect(idOf(from('10.1.2.3', 'bad id'))).toMatch(UUID_V7);
    expect(requestIdResolver(1)(from('203.0.113.7'))).toBe('client-chosen');
    expect(requestIdResolver(true)(from('203.0.113.7'))).toBe('client-chosen');
  });

  it('reads the configured header, and nothing without a socket', () => {
    const idOf = requestIdResolver('loopback', 'X-Correlation-ID');
    expect(idOf({ headers: { 'x-correlation-id': 'corr-1' }, socket: { remoteAddress: '::1' } })).toBe(
      'corr-1',
    );
    expect(idOf({ headers: { 'x-correlation-id': 'corr-1' } })).toMatch(UUID_V7);
  });
});

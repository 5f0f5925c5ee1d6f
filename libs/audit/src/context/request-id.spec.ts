import { requestIdFrom } from './request-id';

describe('requestIdFrom', () => {
  it('keeps a well-formed incoming id', () => {
    expect(requestIdFrom('abc-123_X.y')).toBe('abc-123_X.y');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
  });

  it('replaces a missing, oversized or unprintable id with a fresh UUID v7', () => {
    for (const bad of [undefined, '', 'a b', 'x'.repeat(129), 'bad\nline']) {
      expect(requestIdFrom(bad)).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });
});

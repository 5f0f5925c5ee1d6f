import { ProbeTimeoutError, within } from './within';

describe('within', () => {
  it('answers with the work when it settles in time', async () => {
    await expect(within(Promise.resolve(7), 50)).resolves.toBe(7);
    await expect(within(Promise.reject(new Error('refused')), 50)).rejects.toThrow('refused');
  });

  it('gives up on work that never settles (a command queued while Redis reconnects)', async () => {
    const started = Date.now();
    await expect(within(new Promise(() => undefined), 30)).rejects.toBeInstanceOf(ProbeTimeoutError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

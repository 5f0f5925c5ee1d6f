import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NdjsonSink, WebhookSink, type EcsDocument } from 'audit-ledger';
import { forwardingFromEnv } from './audit-options.factory';

describe('forwardingFromEnv', () => {
  it('is off unless a sink is configured', () => {
    expect(forwardingFromEnv({})).toBeUndefined();
    expect(forwardingFromEnv({ AUDIT_FORWARD_NDJSON: '', AUDIT_FORWARD_WEBHOOK_URL: '' })).toBeUndefined();
  });

  it('configures the NDJSON sink (a file, or - for stdout)', () => {
    for (const dest of ['-', '/var/log/audit/events.ndjson']) {
      const [sink] = forwardingFromEnv({ AUDIT_FORWARD_NDJSON: dest })!.sinks;
      expect(sink).toBeInstanceOf(NdjsonSink);
      expect(sink.name).toBe('ndjson');
    }
  });

  it('configures the webhook, sending the token as a bearer credential', async () => {
    let received: IncomingHttpHeaders | undefined;
    const server = createServer((req, res) => {
      received = req.headers;
      req.resume().on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const [sink] = forwardingFromEnv({
        AUDIT_FORWARD_WEBHOOK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
        AUDIT_FORWARD_WEBHOOK_TOKEN: 's3cret',
      })!.sinks;
      expect(sink).toBeInstanceOf(WebhookSink);
      expect(sink.name).toBe('webhook');
      await sink.send([{ event: { sequence: 1 } } as unknown as EcsDocument]);
      expect(received?.authorization).toBe('Bearer s3cret');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

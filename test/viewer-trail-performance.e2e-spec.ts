import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { FAULTS_PASSWORD } from './faults/support/graphql-client';
import { startExampleProcess, type ExampleProcess } from './support/example-process';
import { launchChromium } from './support/viewer-browser';
import { waitFor } from './support/wait-for';

const EVENTS = 1000;
const RUNS = 3;
const VIEWER_BUILD = join(__dirname, '..', 'libs', 'audit', 'dist', 'viewer-app');
const UPDATE = 'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }';
const TRAIL = `query($id: ID!, $after: String) { auditTrail(entityType: "User", entityId: $id, first: 500, after: $after) {
  edges { node { id occurredAt action entityType entityId tenantId module operationId actor { type id display }
  source { ip userAgent requestId } changes { field before after } chainSeq globalSeq } }
  pageInfo { hasNextPage endCursor } verification { valid checkedEvents headSeq } } }`;
const VERIFY = `query($id: ID!) { verifyAuditTrail(entityType: "User", entityId: $id) { valid checkedEvents } }`;

/**
 * The numbers docs/viewer.md quotes, printed, never asserted (they depend on the machine): the
 * viewer's size as shipped (gzip), and the time from navigation to a rendered 1,001-event trail in
 * the tests' Chromium. What is asserted is that the whole trail is shown, verified.
 */
describe('audit viewer: bundle size and a 1,000-event trail', () => {
  let e: ExampleProcess;
  let browser: Browser;
  let bob = '';
  let grace = '';

  beforeAll(async () => {
    e = await startExampleProcess(FAULTS_PASSWORD);
    const alice = await e.client.login('alice');
    grace = await e.client.login('grace');
    const users = await e.client.request<{ users: { id: string; username: string }[] }>(
      '{ users { id username } }',
      {},
      { token: alice },
    );
    bob = users.data!.users.find((u) => u.username === 'bob')!.id;
    for (let i = 0; i < EVENTS; i++) {
      const res = await e.client.request(
        UPDATE,
        { id: bob, input: { email: `bob+${i}@example.test` } },
        { token: alice },
      );
      if (res.errors) throw new Error(JSON.stringify(res.errors));
    }
    await waitFor(
      async () => {
        const res = await e.client.request<{ verifyAuditTrail: { checkedEvents: number } }>(
          VERIFY,
          { id: bob },
          { token: grace },
        );
        return res.data?.verifyAuditTrail.checkedEvents === EVENTS + 1;
      },
      "bob's 1,001 events sealed",
      120000,
      500,
    );
    browser = await launchChromium();
  }, 600000);

  afterAll(async () => {
    await browser?.close();
    await e?.stop();
  });

  it('reports the gzip size of what the package ships', async () => {
    const assets = join(VIEWER_BUILD, 'assets');
    const files = [join(VIEWER_BUILD, 'index.html'), ...(await readdir(assets)).map((f) => join(assets, f))];
    let raw = 0;
    let gzip = 0;
    for (const file of files) {
      const body = await readFile(file);
      raw += body.length;
      gzip += gzipSync(body, { level: 9 }).length;
    }
    console.log(`viewer bundle: ${files.length} files, ${raw} bytes, ${gzip} bytes gzip`);
    expect(gzip).toBeGreaterThan(0);
  });

  it('renders the whole verified trail', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${e.base}/audit/`);
    await page.getByLabel('Bearer token', { exact: true }).fill(grace);
    await page.getByRole('button', { name: 'Use this token' }).click();
    await page.getByRole('navigation', { name: 'Audit viewer pages' }).waitFor();
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      await page.goto('about:blank');
      await page.goto(`${e.base}/audit/#/trail/User/${bob}`);
      await page.locator('li[data-chain-seq="1"]').waitFor({ timeout: 60000 });
      // Milliseconds from the navigation's start (the page's time origin) to the rendered trail.
      times.push(await page.evaluate<number>('performance.now()'));
      expect(await page.locator('li[data-chain-seq]').count()).toBe(EVENTS + 1);
      await expect(page.locator('.badge-valid').textContent()).resolves.toContain(
        `Verified: ${EVENTS + 1} events checked`,
      );
    }
    // The API's share: the same two auditTrail pages (each verifies the whole chain) from Node.
    const api: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      let after: string | null = null;
      do {
        const res: { data?: any } = await e.client.request(TRAIL, { id: bob, after }, { token: grace });
        after = res.data?.auditTrail.pageInfo.hasNextPage ? res.data.auditTrail.pageInfo.endCursor : null;
      } while (after);
      api.push(performance.now() - start);
    }
    const ms = (list: number[]) => list.map((t) => `${Math.round(t)} ms`).join(', ');
    console.log(
      `first render of a ${EVENTS + 1}-event trail: ${ms(times)}; of which the API's two pages: ${ms(api)}`,
    );
    await context.close();
  });
});

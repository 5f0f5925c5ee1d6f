import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { FAULTS_PASSWORD } from './faults/support/graphql-client';
import { startExampleProcess, type ExampleProcess } from './support/example-process';
import {
  launchChromium,
  routeShown,
  screenshot,
  seriousAccessibilityViolations,
  watchPageProblems,
} from './support/viewer-browser';
import { waitFor } from './support/wait-for';

// The demo users' password: GraphqlClient.login signs in with it.
const PASSWORD = FAULTS_PASSWORD;
const UPDATE =
  'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id role } }';
const VERIFY = `query($id: ID!) { verifyAuditTrail(entityType: "User", entityId: $id) { valid checkedEvents } }`;
const HOSTILE = '<img src=x onerror=alert(1)>';
const TRAIL_IDS =
  'query($id: ID!) { auditTrail(entityType: "User", entityId: $id) { edges { node { id } } } }';
const REVERT = 'mutation($eventId: ID!) { revertChange(eventId: $eventId) { applied } }';
const CREATE_USER = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }';

/**
 * The audit viewer (docs/viewer.md) in Debian's Chromium against the compiled example app, on
 * real PostgreSQL and Redis: every page, as an acme auditor, a global auditor and a plain user.
 * Each page is screenshotted into docs/screenshots/viewer and scanned with axe-core.
 */
describe('audit viewer in Chromium', () => {
  let e: ExampleProcess;
  let browser: Browser;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const problems: string[] = [];
  let escalationSeq = 0;

  const gql = async <T = any>(who: string, query: string, variables: object = {}): Promise<T> => {
    const res = await e.client.request<T>(query, variables, { token: tokens[who] });
    if (res.errors || !res.data) throw new Error(JSON.stringify(res.errors));
    return res.data;
  };
  const trailLength = async (id: string) =>
    (await gql<{ verifyAuditTrail: { checkedEvents: number } }>('grace', VERIFY, { id })).verifyAuditTrail
      .checkedEvents;

  /** A fresh browser session (its own sessionStorage) signed in through the viewer's form. */
  const signedIn = async (
    username: string,
    width = 1280,
  ): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    watchPageProblems(page, problems);
    await page.goto(`${e.base}/audit`);
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('navigation', { name: 'Audit viewer pages' }).waitFor();
    return { context, page };
  };

  beforeAll(async () => {
    e = await startExampleProcess(PASSWORD);
    for (const name of ['alice', 'dave', 'grace']) tokens[name] = await e.client.login(name);
    for (const admin of ['alice', 'dave']) {
      const { users } = await gql<{ users: { id: string; username: string }[] }>(
        admin,
        '{ users { id username } }',
      );
      for (const u of users) ids[u.username] = u.id;
    }
    // The seed scenario: alice elevates bob to admin, then reverts exactly that change
    // (revertChange: a REVERT event); dave does the same to erin in globex.
    await gql('alice', UPDATE, { id: ids.bob, input: { role: 'admin' } });
    await gql('dave', UPDATE, { id: ids.erin, input: { role: 'admin' } });
    for (const [admin, user] of [
      ['alice', ids.bob],
      ['dave', ids.erin],
    ]) {
      await waitFor(async () => (await trailLength(user)) === 2, 'the escalation sealed', 30000);
      const { auditTrail } = await gql<{ auditTrail: { edges: { node: { id: string } }[] } }>(
        'grace',
        TRAIL_IDS,
        { id: user },
      );
      await gql(admin, REVERT, { eventId: auditTrail.edges[1].node.id });
      await waitFor(async () => (await trailLength(user)) === 3, 'the revert sealed', 30000);
    }
    escalationSeq = 2;
    browser = await launchChromium();
  }, 120000);

  afterAll(async () => {
    await browser?.close();
    await e?.stop();
  });

  it('serves the viewer with a strict Content-Security-Policy, and the sign-in screen passes axe', async () => {
    const res = await fetch(`${e.base}/audit/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).toContain('&#34;mutation&#34;:&#34;login&#34;');
    expect((await fetch(`${e.base}/audit/assets/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${e.base}/audit/`, { method: 'POST' })).status).toBe(405);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    watchPageProblems(page, problems);
    await page.goto(`${e.base}/audit`);
    expect(page.url()).toBe(`${e.base}/audit/`);
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await page.getByLabel('Username', { exact: true }).fill('carol');
    await page.getByLabel('Password', { exact: true }).fill('wrong password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Not signed in');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in');
    await context.close();
  });

  it('an acme auditor searches for role changes and sees only acme rows', async () => {
    const { context, page } = await signedIn('carol');
    await page.getByLabel('Entity type', { exact: true }).fill('User');
    await page.getByLabel('Changed field', { exact: true }).fill('role');
    await page.getByLabel('Changed field', { exact: true }).press('Enter');
    await page.waitForURL(/#\/search\?.*changedField=role/);
    await routeShown(page);
    const rows = page.getByTestId('search-results').locator('tbody tr');
    await rows.first().waitFor();
    const tenants = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-tenant')));
    expect(new Set(tenants)).toEqual(new Set(['acme']));
    const text = await page.locator('main').innerText();
    expect(text).toContain(ids.bob);
    expect(text).not.toContain(ids.erin);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'search');

    // Asking for globex explicitly changes nothing: the API scopes the reader to acme.
    await page.goto(`${e.base}/audit/#/search?tenantId=globex`);
    await expect(page.getByRole('status').filter({ hasText: 'No event' }).textContent()).resolves.toContain(
      'No event matches',
    );
    await context.close();
  });

  it("opens bob's trail: the escalation, its revert, masked values, and his state before", async () => {
    const { context, page } = await signedIn('carol');
    await page.goto(`${e.base}/audit/#/search?entityType=User&changedField=role`);
    await page
      .getByRole('link', { name: `User ${ids.bob}` })
      .first()
      .click();
    await page.waitForURL(new RegExp(`#/trail/User/${ids.bob}`));
    const badge = page.locator('.badge');
    await expect(badge.textContent()).resolves.toContain('Verified: 3 events checked, chain head at #3');
    const roleRow = (seq: number) => page.locator(`li[data-chain-seq="${seq}"] tr[data-field="role"]`);
    await expect(roleRow(escalationSeq).innerText()).resolves.toMatch(/role\s+user\s+→\s*admin/);
    await expect(roleRow(escalationSeq + 1).innerText()).resolves.toMatch(/role\s+admin\s+→\s*user/);
    await expect(page.locator(`li[data-chain-seq="${escalationSeq + 1}"]`).innerText()).resolves.toContain(
      'REVERT',
    );
    // The password hash is masked wherever it appears.
    expect(await page.locator('li[data-chain-seq="1"] .tag-masked').count()).toBeGreaterThan(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'trail');

    await page.getByRole('link', { name: `State before #${escalationSeq}` }).click();
    const state = page.getByTestId('entity-state');
    await expect(state.locator('tr[data-field="role"]').innerText()).resolves.toMatch(/role\s+user/);
    await page.getByRole('link', { name: `State after #${escalationSeq}` }).click();
    await waitFor(
      async () => /admin/.test(await state.locator('tr[data-field="role"]').innerText()),
      'the state after the escalation',
    );
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'trail-entity-at');

    // The same trail at a phone's width: readable, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'trail-phone');
    await context.close();
  });

  it('a superuser tampers with one event in SQL: on reload the badge turns red naming its chainSeq', async () => {
    // The forged actor is markup too: the viewer must show it as text.
    const { context, page } = await signedIn('carol');
    await page.goto(`${e.base}/audit/#/trail/User/${ids.bob}`);
    await page.locator('.badge-valid').waitFor();
    const edited = await e.db.tamper(
      `update audit.events set actor_display = $3 where entity_id = $1 and chain_seq = $2 returning id`,
      [ids.bob, escalationSeq, HOSTILE],
    );
    expect(edited).toHaveLength(1);
    await page.reload();
    const badge = page.locator('.badge-tampered');
    await badge.waitFor();
    expect(await badge.getAttribute('data-chain-seq')).toBe(String(escalationSeq));
    await expect(badge.textContent()).resolves.toContain(`verification fails at event #${escalationSeq}`);
    const trust = await page
      .locator('li[data-chain-seq]')
      .evaluateAll((lis) =>
        lis.map((li) => `${li.getAttribute('data-chain-seq')}:${li.getAttribute('data-trust')}`),
      );
    expect(trust.sort()).toEqual(['1:verified', '2:failed', '3:unverified']);
    await expect(page.locator(`li[data-chain-seq="${escalationSeq}"] .meta`).innerText()).resolves.toContain(
      HOSTILE,
    );
    expect(await page.locator('main img').count()).toBe(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'trail-tampered');
    await context.close();
  });

  it('a plain user gets the API refusal as a message, not a blank page', async () => {
    const { context, page } = await signedIn('bob');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.getAttribute('data-code')).toBe('FORBIDDEN');
    await expect(alert.textContent()).resolves.toContain('Access refused');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Search audit events');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'refused');
    await context.close();
  });

  it('field history and privilege changes: the reverted escalation stands out, globex stays hidden', async () => {
    const { context, page } = await signedIn('carol');
    await page.getByRole('link', { name: 'Field history' }).click();
    await page.getByRole('heading', { name: 'Changes of User.role' }).waitFor();
    const history = page.locator('main table tbody tr');
    await history.first().waitFor();
    const text = await page.locator('main').innerText();
    expect(text).toContain(ids.bob);
    expect(text).not.toContain(ids.erin);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'field-history');

    await page.getByRole('link', { name: 'Privilege changes' }).click();
    const rows = page.getByTestId('privilege-changes').locator('tbody tr');
    await rows.first().waitFor();
    const reverted = page.locator('tr.row-reverted');
    expect(await reverted.count()).toBe(1);
    await expect(reverted.innerText()).resolves.toMatch(/role\s+user\s+admin[\s\S]*reverted by alice/);
    expect(await page.locator('main').innerText()).not.toContain(ids.erin);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'privilege-changes');
    await context.close();
  });

  it('integrity: checkpoints and keys; a global auditor runs the full verification, which finds the tampering', async () => {
    await waitFor(
      async () =>
        (await gql<{ auditCheckpoints: unknown[] }>('grace', '{ auditCheckpoints(first: 1) { treeSize } }'))
          .auditCheckpoints.length > 0,
      'a checkpoint',
      30000,
    );
    const acme = await signedIn('carol');
    await acme.page.getByRole('link', { name: 'Integrity' }).click();
    await acme.page.getByRole('heading', { name: 'Signing keys' }).waitFor();
    await acme.page.locator('main table').first().waitFor();
    expect(await acme.page.getByRole('alert').getAttribute('data-code')).toBe('FORBIDDEN');
    expect(await acme.page.getByRole('button', { name: 'Run full verification' }).count()).toBe(0);
    await acme.context.close();

    const { context, page } = await signedIn('grace');
    await page.goto(`${e.base}/audit/#/integrity`);
    await page.getByRole('region', { name: 'Checkpoints table' }).waitFor();
    expect(await page.getByRole('region', { name: 'Signing keys table' }).innerText()).toContain('ACTIVE');
    await page.getByRole('button', { name: 'Run full verification' }).click();
    const result = page.locator('section[aria-labelledby="verify-heading"] .badge');
    await result.waitFor({ timeout: 30000 });
    expect(await result.getAttribute('data-valid')).toBe('false');
    await expect(result.innerText()).resolves.toMatch(/Invalid/);
    await expect(result.innerText()).resolves.toMatch(/run from this page/);
    await context.close();

    // Every run is sealed in the ledger: another browser session shows grace's run, read from it.
    const other = await signedIn('grace');
    await other.page.goto(`${e.base}/audit/#/integrity`);
    const recorded = other.page.locator('section[aria-labelledby="verify-heading"]');
    await waitFor(
      async () => {
        await other.page.reload();
        await other.page.getByRole('region', { name: 'Checkpoints table' }).waitFor();
        return /Invalid \(FULL, run by grace at/.test(await recorded.innerText());
      },
      "grace's run in the ledger",
      30000,
    );
    expect(await recorded.locator('.badge').getAttribute('data-valid')).toBe('false');
    expect(await seriousAccessibilityViolations(other.page)).toEqual([]);
    await screenshot(other.page, 'integrity');
    await other.context.close();
  });

  it('reports: a chart and a table by action, and the visible rows as CSV', async () => {
    const { context, page } = await signedIn('carol');
    await page.getByRole('link', { name: 'Reports' }).click();
    // The report by day is on screen; the one by action is held back until it was checked that
    // nothing of the day report shows under the new grouping while it loads.
    await page.getByTestId('report-table').waitFor();
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/graphql', async (route) => {
      if (/ViewerReport/.test(route.request().postData() ?? '')) await held;
      await route.continue();
    });
    // Every change of the page is looked at, transient ones too (a render the next one replaces).
    await page.evaluate(`
      window.staleReport = false;
      new MutationObserver(() => {
        const head = document.querySelector('[data-testid="report-table"] thead th');
        if (head?.textContent === 'Action') window.staleReport = true;
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    `);
    await page.getByLabel('Group by', { exact: true }).selectOption('ACTION');
    await page.getByRole('button', { name: 'Show report' }).click();
    await page.waitForURL(/groupBy=ACTION/);
    await page.getByText('Loading the report…').waitFor();
    expect(await page.getByTestId('report-table').count()).toBe(0);
    expect(await page.evaluate<boolean>('window.staleReport')).toBe(false);
    release();
    const table = page.getByTestId('report-table');
    await table.getByRole('columnheader', { name: 'Action' }).waitFor();
    expect(await page.locator('svg.chart rect').count()).toBe(await table.locator('tbody tr').count());
    const visible = await table
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent).join(',')),
      );
    expect(visible.some((row) => row.startsWith('UPDATE,'))).toBe(true);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download these rows as CSV' }).click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    expect(csv.trim().split('\r\n')).toEqual(['Action,Events', ...visible]);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'reports');
    await context.close();
  });

  it('an admin previews and applies the revert of one change; an auditor gets the refusal', async () => {
    const { createUser } = await gql<{ createUser: { id: string } }>('alice', CREATE_USER, {
      input: {
        username: 'vic',
        email: 'vic@acme.test',
        password: 'a-long-password-1',
        role: 'user',
        tenantId: 'acme',
      },
    });
    const vic = createUser.id;
    await gql('alice', UPDATE, { id: vic, input: { role: 'admin', email: 'vic.two@acme.test' } });
    await waitFor(async () => (await trailLength(vic)) === 2, "vic's change sealed", 30000);

    // An auditor reads, never reverts: the API's refusal, shown as a message.
    const auditor = await signedIn('carol');
    await auditor.page.goto(`${e.base}/audit/#/trail/User/${vic}`);
    await auditor.page.getByRole('link', { name: 'Preview a revert of #2' }).click();
    const refusal = auditor.page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.getAttribute('data-code')).toBe('FORBIDDEN');
    await auditor.context.close();

    const { context, page } = await signedIn('alice');
    await page.goto(`${e.base}/audit/#/trail/User/${vic}`);
    await page.getByRole('link', { name: 'Preview a revert of #2' }).click();
    const changes = page.getByTestId('revert-changes');
    await changes.waitFor();
    await expect(changes.locator('tr[data-field="role"]').innerText()).resolves.toMatch(
      /role\s+admin\s+user\s+no one/,
    );
    await expect(changes.locator('tr[data-field="email"]').innerText()).resolves.toMatch(
      /vic\.two@acme\.test\s+vic@acme\.test/,
    );
    expect(await changes.locator('tr[data-conflict="true"]').count()).toBe(0);
    await page.getByLabel('Reason (recorded with the revert)', { exact: true }).fill('viewer e2e');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'revert');
    await page.getByRole('button', { name: 'Apply the revert' }).click();
    await expect(page.getByTestId('revert-done').innerText()).resolves.toMatch(/Reverted: email, role/);
    const [row] = await e.db.query<{ role: string; email: string }>(
      'select role, email from users where id = $1',
      [vic],
    );
    expect(row).toEqual({ role: 'user', email: 'vic@acme.test' });
    await page.getByRole('link', { name: 'Back to the trail' }).click();
    const revert = page.locator('li[data-chain-seq="3"]');
    await waitFor(
      async () => {
        await page.reload();
        await page.locator('.badge').waitFor();
        return (await revert.count()) === 1;
      },
      'the REVERT event in the trail',
      30000,
    );
    await expect(revert.innerText()).resolves.toContain('REVERT');
    await context.close();
  });

  it('is keyboard navigable, and hostile URLs end in a message, never a blank page', async () => {
    const { context, page } = await signedIn('carol');
    await waitFor(
      async () => (await page.evaluate<string>('document.activeElement.id')) === 'content',
      'focus on the page',
    );
    await page.reload();
    await page.getByRole('heading', { name: 'Search audit events' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('content');
    await page.getByLabel('Action', { exact: true }).focus();
    await page.keyboard.type('CREATE');
    await page.keyboard.press('Enter');
    await page.waitForURL(/action=CREATE/);

    await page.goto(`${e.base}/audit/#/search?operationId=not-a-uuid`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('operationId is not a UUID');
    await page.goto(`${e.base}/audit/#/trail/User/%E0%A4%A`);
    await page.getByText('No event of this record is visible to you').waitFor();
    expect(await page.locator('h1').innerText()).toContain('%E0%A4%A');
    await page.goto(`${e.base}/audit/#/trail`);
    await page.getByText('No record is named in this address').waitFor();
    await page.goto(`${e.base}/audit/#/trail/${'x'.repeat(600)}/1`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('The request was not accepted');
    await context.close();
    // Over the whole run: no CSP refusal, uncaught error or dialog (the hostile email stayed text).
    expect(problems).toEqual([]);
  });
});

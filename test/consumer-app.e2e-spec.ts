import type { INestApplication } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { clearQueuePrefix, TEST_REDIS_URL, uniqueQueuePrefix } from './support/test-redis';
import { waitFor } from './support/wait-for';

const TRAIL = `query($id: ID!) { auditTrail(entityType: "Order", entityId: $id) {
  edges { node { action module after } } verification { valid } } }`;

/**
 * The minimal app of the README (test/consumer/src), booted as a user would boot it: an order
 * placed and shipped over REST, its trail read over the audit GraphQL API, verified. The README's
 * code blocks must equal these files, so the README's app cannot rot.
 */
describe("the README's minimal app (test/consumer/src)", () => {
  let db: TestDatabase;
  let app: INestApplication;
  const prefix = uniqueQueuePrefix();

  beforeAll(async () => {
    db = await createTestDatabase();
    // NOTE: before the import: the app reads its environment when its module is declared.
    Object.assign(process.env, {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      AUDITOR_TOKEN: 'consumer-auditor-token',
      AUDIT_KEY_DIR: db.keyDir,
      AUDIT_WITNESS_DIR: db.witnessDir,
    });
    const { createOrdersApp } = await import('./consumer/src/main.js');
    app = await createOrdersApp();
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await clearQueuePrefix(prefix);
  });

  it('records an order placed and shipped, and serves its trail verified', async () => {
    const server = app.getHttpServer();
    const placed = await request(server).post('/orders').send({ customer: 'ada' }).expect(201);
    await request(server).post(`/orders/${placed.body.id}/ship`).expect(201);
    const trail = await waitFor(async () => {
      const res = await request(server)
        .post('/graphql')
        .set('authorization', 'Bearer consumer-auditor-token')
        .send({ query: TRAIL, variables: { id: placed.body.id } });
      const t = res.body.data?.auditTrail;
      return t?.edges.length === 2 && t;
    }, 'both events sealed');
    expect(trail.verification.valid).toBe(true);
    expect(trail.edges.map((e: { node: { action: string } }) => e.node.action)).toEqual(['CREATE', 'UPDATE']);
    expect(trail.edges[1].node).toMatchObject({
      module: 'sales',
      after: { status: 'SHIPPED', customer: 'ada' },
    });
    // Without the token the audit API refuses.
    const anonymous = await request(server)
      .post('/graphql')
      .send({ query: TRAIL, variables: { id: placed.body.id } });
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('is the code the README shows, file for file', async () => {
    const readme = await readFile(join(__dirname, '..', 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n\/\/ (test\/consumer\/src\/[\w.-]+)\n([\s\S]*?)```/g)];
    const shown = new Map(blocks.map(([, path, code]) => [path, code]));
    const files = ['order.entity.ts', 'orders.migration.ts', 'orders.ts', 'app.module.ts', 'main.ts'];
    expect([...shown.keys()].sort()).toEqual(files.map((f) => `test/consumer/src/${f}`).sort());
    for (const file of files) {
      const path = `test/consumer/src/${file}`;
      expect({ path, code: shown.get(path) }).toEqual({
        path,
        code: await readFile(join(__dirname, '..', path), 'utf8'),
      });
    }
  });
});

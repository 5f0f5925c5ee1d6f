// The consumer test: packs audit-ledger, installs the tarball into a throwaway Nest app built
// from test/consumer/ (its own package.json and framework versions), boots it on a fresh
// PostgreSQL database and checks an audited order's trail over GraphQL. One run per combination
// of CONSUMER_MATRIX (unset: the newest; "all": every one). docs/consumer-test.md explains it.
//
// Plain Node ESM, no build step: Node built-ins plus pg and ioredis from the repo root.
/* global process, console, setTimeout, clearTimeout, fetch, AbortSignal, URL */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const require = createRequire(join(ROOT, 'package.json'));
const { Client } = require('pg');
const Redis = require('ioredis');

const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const KEEP = process.env.CONSUMER_KEEP === '1';
const AUDITOR_TOKEN = `consumer-${randomBytes(8).toString('hex')}`;
const COMMAND_TIMEOUT_MS = 15 * 60_000;
const BOOT_TIMEOUT_MS = 60_000;
const SEAL_TIMEOUT_MS = 60_000;

/**
 * The advertised combinations, newest first. Each changes only the app's devDependencies: the
 * Node binary (the `node` npm package puts it in node_modules/.bin) and the matching @types/node.
 * The framework set is the one in test/consumer/package.json.
 */
const COMBINATIONS = {
  node24: { devDependencies: { node: '24.x', '@types/node': '24.19.4' } },
  node22: { devDependencies: { node: '22.x', '@types/node': '22.20.7' } },
};

const TRAIL = `query($id: ID!) { auditTrail(entityType: "Order", entityId: $id) {
  edges { node { action module after } } verification { valid } } }`;

function selectedCombinations() {
  const raw = (process.env.CONSUMER_MATRIX ?? '').trim();
  if (!raw) return [Object.keys(COMBINATIONS)[0]];
  if (raw === 'all') return Object.keys(COMBINATIONS);
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(n in COMBINATIONS));
  if (unknown.length) {
    console.error(
      `CONSUMER_MATRIX: unknown combination(s) ${unknown.join(', ')}; known: ${Object.keys(COMBINATIONS).join(', ')}, all`,
    );
    process.exit(2);
  }
  return names;
}

const started = Date.now();
const elapsed = (since = started) => ((Date.now() - since) / 1000).toFixed(1);
const log = (name, message) => console.log(`[${elapsed()}s] ${name ? `${name}: ` : ''}${message}`);

/** The environment for npm and the app: the caller's, without what an enclosing `npm run` sets for its own package. */
function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(package_|lifecycle_|command$|execpath$|node_execpath$|config_local_prefix$)/i.test(key))
      delete env[key];
  }
  delete env.NODE_ENV;
  delete env.NODE_OPTIONS;
  delete env.INIT_CWD;
  return { ...env, ...extra };
}

/** Runs a command; its output goes to `logFile`. Rejects with the output's tail when it fails. */
function run(cmd, args, { cwd, logFile, env = childEnv(), timeoutMs = COMMAND_TIMEOUT_MS }) {
  return new Promise((resolvePromise, reject) => {
    const out = createWriteStream(logFile, { flags: 'a' });
    out.write(`\n$ ${cmd} ${args.join(' ')}   (in ${cwd})\n`);
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      tail = (tail + d).slice(-6000);
      out.write(d);
    });
    child.stderr.on('data', (d) => {
      tail = (tail + d).slice(-6000);
      out.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      out.end();
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      out.end();
      if (code === 0) resolvePromise(stdout);
      else
        reject(
          new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}); output tail:\n${tail}`),
        );
    });
  });
}

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withAdmin(fn) {
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

async function clearQueuePrefix(prefix) {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** Every version of `name` in an `npm ls --json --all` tree. */
function versionsIn(tree, name, found = new Set()) {
  for (const [dep, node] of Object.entries(tree.dependencies ?? {})) {
    if (dep === name && node.version) found.add(node.version);
    versionsIn(node, name, found);
  }
  return found;
}

/** Every installed copy (package.json path) of `name` under `dir`'s node_modules, nested ones too. */
async function copiesOf(dir, name, found = []) {
  const modules = join(dir, 'node_modules');
  let entries;
  try {
    entries = await readdir(modules, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const scopeOrPkg = join(modules, entry.name);
    const pkgs = entry.name.startsWith('@')
      ? (await readdir(scopeOrPkg, { withFileTypes: true }))
          .filter((e) => e.isDirectory())
          .map((e) => [`${entry.name}/${e.name}`, join(scopeOrPkg, e.name)])
      : [[entry.name, scopeOrPkg]];
    for (const [pkgName, pkgDir] of pkgs) {
      if (pkgName === name) found.push(join(pkgDir, 'package.json'));
      await copiesOf(pkgDir, name, found);
    }
  }
  return found;
}

async function postJson(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Cleanups registered while a combination runs; also run on SIGINT/SIGTERM. */
const cleanups = [];
async function runCleanups() {
  while (cleanups.length) {
    const { label, fn } = cleanups.pop();
    try {
      await fn();
    } catch (error) {
      console.error(`  cleanup "${label}" failed: ${error.message}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    void runCleanups().finally(() => process.exit(130));
  });
}

async function stopApp(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!graceful) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function runCombination(name, tarball, work) {
  const result = { name, node: '-', nest: '-', orm: '-', ok: false, seconds: 0, error: undefined, npmLs: '' };
  const t0 = Date.now();
  const base = join(work, name);
  const app = join(base, 'app');
  const logFile = join(base, 'steps.log');
  try {
    await mkdir(join(app, 'src'), { recursive: true });
    if (!KEEP)
      cleanups.push({ label: `remove ${base}`, fn: () => rm(base, { recursive: true, force: true }) });
    const tarballName = tarball.split('/').pop();
    await cp(tarball, join(base, tarballName));
    await cp(join(HERE, 'tsconfig.json'), join(app, 'tsconfig.json'));
    await cp(join(HERE, 'src'), join(app, 'src'), { recursive: true });
    const pkg = JSON.parse(await readFile(join(HERE, 'package.json'), 'utf8'));
    pkg.devDependencies = { ...pkg.devDependencies, ...COMBINATIONS[name].devDependencies };
    await writeFile(join(app, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    log(name, `app in ${app} (log: ${logFile})`);

    log(
      name,
      `npm install (node ${pkg.devDependencies.node}, @types/node ${pkg.devDependencies['@types/node']})`,
    );
    await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: app, logFile });
    log(name, `npm install ../${tarballName}`);
    await run('npm', ['install', '--no-audit', '--no-fund', `../${tarballName}`], { cwd: app, logFile });

    const nodeBin = join(app, 'node_modules', '.bin', 'node');
    result.node = (await run(nodeBin, ['-v'], { cwd: app, logFile })).trim();
    log(name, `Node ${result.node} (${nodeBin})`);

    const appEnv = childEnv({ PATH: `${join(app, 'node_modules', '.bin')}:${process.env.PATH}` });
    log(name, 'npx tsc -p tsconfig.json');
    await run('npx', ['--no', '--', 'tsc', '-p', 'tsconfig.json'], { cwd: app, logFile, env: appEnv });

    // One copy of each framework: the library must run on the app's, not on its own.
    const lsJson = JSON.parse(
      await run('npm', ['ls', '@nestjs/core', '@mikro-orm/core', '--json', '--all'], { cwd: app, logFile }),
    );
    result.npmLs = await run('npm', ['ls', '@nestjs/core', '@mikro-orm/core'], { cwd: app, logFile });
    for (const [pkgName, key] of [
      ['@nestjs/core', 'nest'],
      ['@mikro-orm/core', 'orm'],
    ]) {
      const versions = [...versionsIn(lsJson, pkgName)];
      const copies = await copiesOf(app, pkgName);
      result[key] = versions.join(' + ') || '-';
      check(
        versions.length === 1,
        `npm ls shows ${versions.length} versions of ${pkgName}: ${versions.join(', ')}`,
      );
      check(
        copies.length === 1,
        `${copies.length} installed copies of ${pkgName}:\n  ${copies.join('\n  ')}`,
      );
    }
    const libPkg = JSON.parse(
      await readFile(join(app, 'node_modules', 'audit-ledger', 'package.json'), 'utf8'),
    );
    log(
      name,
      `one copy each: @nestjs/core ${result.nest}, @mikro-orm/core ${result.orm}; audit-ledger ${libPkg.version} installed`,
    );

    // A fresh database, queue prefix and key/witness directories of this run's own.
    const suffix = randomBytes(6).toString('hex');
    const dbName = `audit_consumer_${suffix}`;
    const prefix = `audit-consumer-${suffix}`;
    await withAdmin((admin) => admin.query(`create database "${dbName}"`));
    cleanups.push({
      label: `drop database ${dbName}`,
      fn: () => withAdmin((admin) => admin.query(`drop database if exists "${dbName}" with (force)`)),
    });
    cleanups.push({ label: `delete Redis keys ${prefix}:*`, fn: () => clearQueuePrefix(prefix) });
    const dbUrl = new URL(ADMIN_URL);
    dbUrl.pathname = `/${dbName}`;
    const auditDir = join(app, '.audit');
    await mkdir(auditDir, { recursive: true });
    const port = await freePort();

    log(name, `boot node dist/main.js on port ${port}, database ${dbName}, queue prefix ${prefix}`);
    const appLog = join(base, 'app.log');
    const appOut = createWriteStream(appLog);
    let appTail = '';
    const child = spawn(nodeBin, ['dist/main.js'], {
      cwd: app,
      env: childEnv({
        PATH: appEnv.PATH,
        DATABASE_URL: dbUrl.toString(),
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        AUDITOR_TOKEN,
        AUDIT_KEY_DIR: join(auditDir, 'keys'),
        AUDIT_WITNESS_DIR: join(auditDir, 'witness'),
        PORT: String(port),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (d) => {
      appTail = (appTail + String(d).replace(ANSI, '')).slice(-8000);
      appOut.write(d);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    cleanups.push({
      label: 'stop the app',
      fn: async () => {
        await stopApp(child);
        appOut.end();
      },
    });
    const appFailed = (message) =>
      new Error(`${message}\n--- app output (tail of ${appLog}) ---\n${appTail.slice(-4000)}`);

    const baseUrl = `http://127.0.0.1:${port}`;
    const bootStart = Date.now();
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw appFailed(
          `the app exited (${child.signalCode ?? `exit ${child.exitCode}`}) before answering HTTP`,
        );
      try {
        await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(2000) });
        break;
      } catch {
        // not listening yet
      }
      if (Date.now() - bootStart > BOOT_TIMEOUT_MS)
        throw appFailed(`the app did not answer HTTP within ${BOOT_TIMEOUT_MS / 1000} s`);
      await sleep(250);
    }
    log(name, `app answers HTTP after ${elapsed(bootStart)} s`);

    try {
      const placed = await postJson(`${baseUrl}/orders`, { customer: 'ada' });
      check(
        placed.status === 201 && typeof placed.json?.id === 'string',
        `POST /orders: ${placed.status} ${placed.text}`,
      );
      const id = placed.json.id;
      const shipped = await postJson(`${baseUrl}/orders/${id}/ship`, {});
      check(shipped.status === 201, `POST /orders/${id}/ship: ${shipped.status} ${shipped.text}`);
      log(name, `order ${id} placed and shipped (201, 201); waiting for both events to be sealed`);

      const auth = { authorization: `Bearer ${AUDITOR_TOKEN}` };
      const sealStart = Date.now();
      let trail;
      let last;
      while (Date.now() - sealStart < SEAL_TIMEOUT_MS) {
        last = await postJson(`${baseUrl}/graphql`, { query: TRAIL, variables: { id } }, auth);
        trail = last.json?.data?.auditTrail;
        if (trail?.edges?.length === 2) break;
        trail = undefined;
        await sleep(500);
      }
      check(
        trail,
        `auditTrail did not show 2 events within ${SEAL_TIMEOUT_MS / 1000} s; last answer: ${last?.status} ${last?.text}`,
      );
      const actions = trail.edges.map((e) => e.node.action);
      check(
        JSON.stringify(actions) === '["CREATE","UPDATE"]',
        `actions ${JSON.stringify(actions)}, expected ["CREATE","UPDATE"]`,
      );
      check(trail.verification?.valid === true, `verification ${JSON.stringify(trail.verification)}`);
      const shippedNode = trail.edges[1].node;
      check(
        shippedNode.module === 'sales' &&
          shippedNode.after?.status === 'SHIPPED' &&
          shippedNode.after?.customer === 'ada',
        `UPDATE event: ${JSON.stringify(shippedNode)}`,
      );
      log(
        name,
        `auditTrail: ${JSON.stringify(actions)}, verification.valid = true (sealed after ${elapsed(sealStart)} s)`,
      );

      const anonymous = await postJson(`${baseUrl}/graphql`, { query: TRAIL, variables: { id } });
      const code = anonymous.json?.errors?.[0]?.extensions?.code;
      check(code === 'UNAUTHENTICATED', `without the token: ${anonymous.status} ${anonymous.text}`);
      log(name, 'without the token: UNAUTHENTICATED');
    } catch (error) {
      throw appFailed(error.message);
    }
    result.ok = true;
  } catch (error) {
    result.error = error.message;
    log(name, `FAILED: ${error.message.split('\n')[0]}`);
  } finally {
    await runCleanups();
    result.seconds = Number(elapsed(t0));
    log(name, `${result.ok ? 'passed' : 'failed'} in ${result.seconds} s${KEEP ? ` (kept: ${base})` : ''}`);
  }
  return result;
}

function printTable(results) {
  const rows = [
    ['combination', 'Node', '@nestjs/core', '@mikro-orm/core', 'result', 'seconds'],
    ...results.map((r) => [r.name, r.node, r.nest, r.orm, r.ok ? 'PASS' : 'FAIL', r.seconds.toFixed(1)]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log('');
  console.log(line(rows[0]));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows.slice(1)) console.log(line(row));
}

async function main() {
  const names = selectedCombinations();
  const work = await mkdtemp(join(tmpdir(), 'audit-ledger-consumer-'));
  log('', `combinations: ${names.join(', ')}; work directory ${work}`);
  const { version } = JSON.parse(await readFile(join(ROOT, 'libs', 'audit', 'package.json'), 'utf8'));
  const packLog = join(work, 'pack.log');
  let tarball;
  try {
    log('', `npm pack -w audit-ledger (prepack builds libs/audit/dist; log: ${packLog})`);
    await run('npm', ['pack', '-w', 'audit-ledger', '--pack-destination', work], {
      cwd: ROOT,
      logFile: packLog,
    });
    tarball = join(work, `audit-ledger-${version}.tgz`);
    await readFile(tarball).catch(() => {
      throw new Error(`npm pack did not write ${tarball}`);
    });
    log('', `packed ${tarball}`);
  } catch (error) {
    console.error(`npm pack failed: ${error.message}`);
    if (!KEEP) await rm(work, { recursive: true, force: true });
    process.exit(1);
  }

  const results = [];
  for (const name of names) results.push(await runCombination(name, tarball, work));

  const newest = results.find((r) => r.npmLs);
  if (newest)
    console.log(`\nnpm ls @nestjs/core @mikro-orm/core (${newest.name}):\n${newest.npmLs.trimEnd()}`);
  printTable(results);
  for (const r of results.filter((r) => !r.ok)) console.log(`\n${r.name} failed:\n${r.error}`);
  if (KEEP) console.log(`\nkept: ${work}`);
  else await rm(work, { recursive: true, force: true });
  console.log(
    `\nconsumer test: ${results.filter((r) => r.ok).length}/${results.length} passed in ${elapsed()} s`,
  );
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
  // .ci/run adds these counts (jest's names) to its closing line.
  if (process.env.CONSUMER_JSON) {
    const passed = results.filter((r) => r.ok).length;
    await writeFile(
      process.env.CONSUMER_JSON,
      JSON.stringify({ numPassedTests: passed, numFailedTests: results.length - passed }),
    );
  }
}

await main();

import { GraphQLSchemaHost } from '@nestjs/graphql';
import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import request from 'supertest';
import type { ExampleApp } from './support/example-app';
import { leaksIn, startExampleAppWithoutNodeEnv } from './support/leaks';

/**
 * Fuzzes every argument of every query and mutation of the example app's schema (the audit API
 * and the app's own), read from the running schema so that a new argument is covered without
 * touching this file. Hostile values of the right type (NUL, lone surrogates, huge strings,
 * extreme dates and numbers, crafted cursors) and values of the wrong type, as variables and as
 * literals, as a global admin, a tenant auditor, a global auditor and anonymously. No answer may
 * be a 5xx, an internal error, or carry SQL, a stack frame, a file path or a schema hint.
 *
 * CI: fixed seed, AUDIT_FUZZ_RUNS random runs (default 300). A longer run:
 * `AUDIT_FUZZ_RUNS=5000 AUDIT_FUZZ_SEED=<n> npx jest test/security-graphql-fuzz`.
 */
const RUNS = Number(process.env.AUDIT_FUZZ_RUNS ?? 300);
const SEED = Number(process.env.AUDIT_FUZZ_SEED ?? 1512);
const CALLERS = ['root', 'carol', 'grace', 'alice', null] as const;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const EXTREME_DATES = [
  '0000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59.999Z',
  '10000-01-01T00:00:00Z',
  '2026-02-30T25:61:61Z',
  'yesterday',
  '',
];
const EXTREME_NUMBERS = [
  0,
  -1,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 53,
  8640000000000000,
  8640000000000001,
  1e308,
  -0.5,
];
const HOSTILE_STRINGS = [
  '\u0000',
  'User\u0000',
  '\uD800',
  'a\uDFFFb',
  '😀',
  'x'.repeat(513),
  'x'.repeat(200_000),
  "' or 1=1 --",
  '%',
  '\\',
  '$1',
  '00000000-0000-0000-0000-000000000000',
  '01936b2e-0000-7000-8000-0000000000aa',
  b64(['events:asc', '0000-01-01T00:00:00.000Z', 1]),
  b64(['events:desc', '2026-01-01T00:00:00.000Z\u0000', 1]),
  b64(['field:asc', '+275760-09-13T00:00:00.000Z', 2 ** 60]),
  b64(['trail', -1]),
  b64(['trail', 1e300]),
  b64({ toString: 1 }),
  ...EXTREME_DATES,
];
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ unit: anyUnit, maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 2000 }),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .tuple(fc.constantFrom('events:asc', 'events:desc', 'field:asc', 'trail'), fc.jsonValue())
    .map(([k, v]) => b64([k, v])),
);
const wrongType = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, true, [], {}, [[[]]], { __proto__: 1 }),
);

/** Values for an argument of `type`: mostly of its type, hostile; sometimes of any type. */
function valueOf(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  const inner = getNullableType<GraphQLInputType>(type);
  let typed: fc.Arbitrary<unknown>;
  if (isListType(inner)) {
    const member = valueOf(inner.ofType, depth + 1);
    typed = fc.oneof(
      fc.array(member, { maxLength: 4 }),
      fc.array(member, { minLength: 101, maxLength: 120 }),
    );
  } else if (isInputObjectType(inner)) {
    const fields = Object.values(inner.getFields());
    typed =
      depth > 2
        ? fc.constant({})
        : fc.record(Object.fromEntries(fields.map((f) => [f.name, valueOf(f.type, depth + 1)])), {
            requiredKeys: [],
          });
  } else if (isEnumType(inner)) {
    typed = fc.oneof(fc.constantFrom(...inner.getValues().map((v) => v.name)), hostileString);
  } else if (isScalarType(inner) && inner.name === 'Int') {
    typed = fc.oneof(fc.constantFrom(...EXTREME_NUMBERS), fc.integer(), fc.double());
  } else if (isScalarType(inner) && inner.name === 'Boolean') {
    typed = fc.boolean();
  } else if (isScalarType(inner) && inner.name === 'DateTime') {
    typed = fc.oneof(
      fc.constantFrom(...EXTREME_DATES, ...EXTREME_NUMBERS),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      hostileString,
    );
  } else {
    typed = hostileString;
  }
  return fc.oneof({ weight: 5, arbitrary: typed }, { weight: 1, arbitrary: wrongType });
}

/** A GraphQL literal for `value` (strings as strings: an enum spelled as a string is wrong input too). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object')
    return `{${Object.entries(value)
      .filter(([k]) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(k))
      .map(([k, v]) => `${k}: ${literal(v)}`)
      .join(', ')}}`;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
  return JSON.stringify(value);
}

/** A selection for a field's result: its scalar fields one level down, enough for every resolver. */
function selectionOf(type: GraphQLOutputType): string {
  const named = getNamedType(type);
  if (!isObjectType(named)) return '';
  const scalars = Object.values(named.getFields())
    .filter((f) => !isObjectType(getNamedType(f.type)) && f.args.length === 0)
    .map((f) => f.name);
  return `{ __typename ${scalars.join(' ')} }`;
}

interface Operation {
  kind: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
}

/** The request for `op` with `values`, each argument as a variable or inline, per `inline`. */
function requestFor(
  op: Operation,
  values: Record<string, unknown>,
  inline: Record<string, boolean | undefined>,
) {
  const args = op.field.args.filter((a) => values[a.name] !== undefined || isNonNullType(a.type));
  const variables: Record<string, unknown> = {};
  const declared: string[] = [];
  const passed = args.map((a: GraphQLArgument) => {
    if (inline[a.name]) return `${a.name}: ${literal(values[a.name])}`;
    variables[a.name] = values[a.name] ?? null;
    declared.push(`$${a.name}: ${String(a.type)}`);
    return `${a.name}: $${a.name}`;
  });
  const head = declared.length ? `${op.kind} Fuzz(${declared.join(', ')})` : `${op.kind} Fuzz`;
  const call = passed.length ? `${op.field.name}(${passed.join(', ')})` : op.field.name;
  return { query: `${head} { ${call} ${selectionOf(op.field.type)} }`, variables };
}

describe('GraphQL input fuzzing (fast-check)', () => {
  let e: ExampleApp;
  let operations: Operation[];
  const token: Record<string, string> = {};
  const findings: string[] = [];
  let requests = 0;

  const send = async (who: string | null, body: { query: string; variables: object }) => {
    requests++;
    const req = request(e.app.getHttpServer()).post('/graphql');
    if (who) req.set('authorization', `Bearer ${token[who]}`);
    const res = await req.send(body);
    const codes = ((res.body?.errors ?? []) as { extensions?: { code?: string } }[]).map(
      (x) => x.extensions?.code,
    );
    const problems = [
      ...(res.status >= 500 ? [`HTTP ${res.status}`] : []),
      ...(codes.includes('INTERNAL_SERVER_ERROR') ? ['INTERNAL_SERVER_ERROR'] : []),
      ...leaksIn(res.text),
    ];
    if (problems.length && findings.length < 50)
      findings.push(
        `${problems.join(', ')} as ${who ?? 'anonymous'}: ${JSON.stringify(body).slice(0, 4000)} → ${res.text.slice(0, 4000)}`,
      );
    return problems.length === 0;
  };

  beforeAll(async () => {
    e = await startExampleAppWithoutNodeEnv();
    // A global admin: alice's row without a tenant (the demo has no global admin).
    await e.db.query(`create temp table root_user as select * from users where username = 'alice';
      update root_user set id = gen_random_uuid(), username = 'root', email = 'root@example.test', tenant_id = null;
      insert into users select * from root_user`);
    for (const who of CALLERS) if (who) token[who] = await e.login(who);
    const schema = e.app.get(GraphQLSchemaHost).schema;
    operations = [
      ...Object.values(schema.getQueryType()!.getFields()).map((field) => ({
        kind: 'query' as const,
        field,
      })),
      ...Object.values(schema.getMutationType()?.getFields() ?? {}).map((field) => ({
        kind: 'mutation' as const,
        field,
      })),
    ];
  });
  afterAll(async () => e?.close());

  it('covers every argument of every audit query and of the app', () => {
    const names = operations.map((o) => o.field.name);
    for (const name of [
      'auditTrail',
      'auditEvents',
      'verifyAuditLog',
      'privilegeChanges',
      'login',
      'createUser',
      'previewRevert',
      'previewRestore',
      'revertChange',
      'restoreEntity',
    ])
      expect(names).toContain(name);
    expect(operations.flatMap((o) => o.field.args).length).toBeGreaterThan(30);
  });

  it('answers each hostile value of each argument without a 5xx, internal error or leak', async () => {
    const hostile = [
      'User\u0000',
      '\uD800',
      'x'.repeat(513),
      'x'.repeat(200_000),
      '0000-01-01T00:00:00Z',
      '+275760-09-13T00:00:00Z',
      b64(['events:asc', '0000-01-01T00:00:00.000Z', 1]),
      8640000000000000,
      2 ** 53,
      null,
      {},
      [],
    ];
    for (const op of operations) {
      const base = Object.fromEntries(
        op.field.args.map((a) => [a.name, fc.sample(valueOf(a.type), { seed: SEED, numRuns: 1 })[0]]),
      );
      for (const arg of op.field.args) {
        const type = getNamedType(arg.type);
        // An input object: each hostile value in each of its fields.
        const values: unknown[] = isInputObjectType(type)
          ? Object.values(type.getFields()).flatMap((f) => hostile.slice(0, 4).map((v) => ({ [f.name]: v })))
          : hostile;
        for (const [i, value] of values.entries())
          await send(
            CALLERS[i % CALLERS.length],
            requestFor(op, { ...base, [arg.name]: value }, { [arg.name]: i % 2 === 1 }),
          );
      }
    }
    expect(findings).toEqual([]);
  }, 120_000);

  it(
    `answers ${RUNS} random requests (seed ${SEED}) without a 5xx, internal error or leak`,
    async () => {
      const started = Date.now();
      const sample = fc.integer({ min: 0, max: 10_000 }).chain((i) => {
        const op = operations[i % operations.length];
        return fc.record({
          op: fc.constant(op.field.name),
          who: fc.constantFrom(...CALLERS),
          values: fc.record(Object.fromEntries(op.field.args.map((a) => [a.name, valueOf(a.type)])), {
            requiredKeys: [],
          }),
          inline: fc.record(Object.fromEntries(op.field.args.map((a) => [a.name, fc.boolean()])), {
            requiredKeys: [],
          }),
        });
      });
      await fc.assert(
        // NOTE: every finding is collected (with its request: the reproduction), not only the first.
        fc.asyncProperty(sample, async ({ op, who, values, inline }) => {
          await send(
            who,
            requestFor(
              operations.find((o) => o.field.name === op)!,
              values,
              inline,
            ),
          );
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      expect(findings).toEqual([]);
      process.stdout.write(
        `fuzz: ${RUNS} runs, seed ${SEED}, ${requests} requests in all, ${Date.now() - started} ms\n`,
      );
    },
    Math.max(120_000, RUNS * 200),
  );
});

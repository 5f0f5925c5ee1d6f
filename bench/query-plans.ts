import { Client } from 'pg';

/** A statement as the driver sent it: native `$n` placeholders and their values. */
export interface IssuedQuery {
  sql: string;
  bindings: unknown[];
}

/** What PostgreSQL plans for a statement on `audit.events`. */
export interface QueryPlan {
  sql: string;
  /** Indexes of audit.events the plan reads. */
  indexes: string[];
  /** Partitions of audit.events read whole, with their row estimate. */
  seqScans: { relation: string; rows: number }[];
}

// A sequential scan of a partition this small (an empty month, the default partition) is no miss.
const SMALL_PARTITION_ROWS = 1000;
const ON_EVENTS = /"?audit"?\."?events"?(?![_\w])/;

/**
 * Every statement on `audit.events` that `fn` sends to PostgreSQL, each once: MikroORM's queries and
 * the library's own SQL alike. NOTE: read at the driver (pg's Client.query), the one place both
 * pass: MikroORM 7 has no query event (knex had one), and the library's SQL bypasses its logger.
 */
export async function statementsOn(fn: () => Promise<unknown>): Promise<IssuedQuery[]> {
  const seen = new Map<string, IssuedQuery>();
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [text, values] = args as [string | { text?: string; values?: unknown[] }, unknown[] | undefined];
    const sql = typeof text === 'string' ? text : text?.text;
    const bindings = (typeof text === 'string' ? values : text?.values) ?? [];
    if (sql && ON_EVENTS.test(sql) && !seen.has(sql)) seen.set(sql, { sql, bindings });
    return query.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = query;
  }
  return [...seen.values()];
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** EXPLAIN (no ANALYZE) of each statement, with the index use and whole-partition scans it shows. */
export async function plansOf(client: Client, statements: IssuedQuery[]): Promise<QueryPlan[]> {
  const plans: QueryPlan[] = [];
  for (const { sql, bindings } of statements) {
    const { rows } = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `explain (format json) ${sql}`,
      bindings,
    );
    const plan: QueryPlan = { sql, indexes: [], seqScans: [] };
    const visit = async (node: PlanNode) => {
      if (node['Index Name'] && !plan.indexes.includes(node['Index Name']))
        plan.indexes.push(node['Index Name']);
      const relation = node['Relation Name'];
      if (node['Node Type'] === 'Seq Scan' && relation?.startsWith('events')) {
        const { rows: size } = await client.query<{ n: number }>(
          "select reltuples::float8 as n from pg_class where oid = to_regclass('audit.' || quote_ident($1))",
          [relation],
        );
        const estimate = size[0]?.n ?? 0;
        if (estimate > SMALL_PARTITION_ROWS) plan.seqScans.push({ relation, rows: estimate });
      }
      for (const child of node.Plans ?? []) await visit(child);
    };
    await visit(rows[0]['QUERY PLAN'][0].Plan);
    plans.push(plan);
  }
  return plans;
}

import type { Knex } from '@mikro-orm/postgresql';
import type { Client } from 'pg';

/** A statement as knex sent it: native `$n` placeholders and their values. */
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
 * Every statement on `audit.events` that `fn` sends through `knex`, MikroORM's included (its
 * queries, raw ones and transactions all go through knex), each once.
 */
export async function statementsOn(knex: Knex, fn: () => Promise<unknown>): Promise<IssuedQuery[]> {
  const seen = new Map<string, IssuedQuery>();
  const listener = (q: { sql: string; bindings?: unknown[] }) => {
    if (ON_EVENTS.test(q.sql) && !seen.has(q.sql))
      seen.set(q.sql, { sql: q.sql, bindings: q.bindings ?? [] });
  };
  knex.on('query', listener);
  try {
    await fn();
  } finally {
    knex.off('query', listener);
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

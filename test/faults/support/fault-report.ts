import { writeFileSync } from 'node:fs';
import type { LedgerCount } from './ledger-count';

/** The ledger against the store, the store's invariants, the API's verification. */
export interface FaultMeasures extends LedgerCount {
  /** Outbox rows still unsealed when the scenario's wait for sealing ended. */
  outboxLeft: number;
  /** Every store invariant held (chains gap-free and linked, log and batches whole). */
  chainsOk: boolean;
  /** The app's auditTrail (for every written user) and verifyAuditLog said valid. */
  verified: boolean;
}

/** One scenario's row; the measures are missing when a failed scenario left nothing to count. */
export interface FaultRow extends Partial<FaultMeasures> {
  scenario: string;
  seconds: number;
  /** Committed writes per second of writing, where the scenario measures it. */
  writesPerSecond?: number;
  /** What the scenario saw besides the counts, or the error that stopped it. */
  note?: string;
}

const text = (value: number | boolean | undefined) => (value === undefined ? '?' : String(value));

const COLUMNS: [string, (r: FaultRow) => string][] = [
  ['scenario', (r) => r.scenario],
  ['committed', (r) => text(r.committed)],
  ['sealed', (r) => text(r.sealed)],
  ['duplicates', (r) => text(r.duplicates)],
  ['missing', (r) => text(r.missing)],
  ['extra', (r) => text(r.extra)],
  ['outbox', (r) => text(r.outboxLeft)],
  ['chainsOk', (r) => text(r.chainsOk)],
  ['verified', (r) => text(r.verified)],
  ['failed', (r) => text(r.failedWrites)],
  [
    'unanswered',
    (r) => (r.unanswered ? `${r.unanswered} (${r.unansweredSealed} sealed)` : text(r.unanswered)),
  ],
  ['writes/s', (r) => (r.writesPerSecond === undefined ? '' : r.writesPerSecond.toFixed(1))],
  ['seconds', (r) => r.seconds.toFixed(0)],
  ['note', (r) => r.note ?? ''],
];

/** The rows of a run: printed as a table at the end, and written as JSON when FAULTS_REPORT names a file. */
export class FaultReport {
  private readonly rows: FaultRow[] = [];

  add(row: FaultRow): void {
    this.rows.push(row);
  }

  table(): string {
    const cells = [COLUMNS.map(([h]) => h), ...this.rows.map((r) => COLUMNS.map(([, cell]) => cell(r)))];
    const widths = COLUMNS.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
    const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
    return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
  }

  /** Prints the table past jest's console buffering; writes the JSON file if asked. */
  publish(jsonPath = process.env.FAULTS_REPORT): void {
    process.stdout.write(`\nAudit Ledger fault-injection results\n${this.table()}\n\n`);
    if (jsonPath) writeFileSync(jsonPath, JSON.stringify(this.rows, null, 2));
  }
}

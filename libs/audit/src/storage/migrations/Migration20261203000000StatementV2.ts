import { Migration } from '@mikro-orm/migrations';

/**
 * Batch statements, format v2 (docs/integrity.md §6.2): a sealing transaction signs one statement
 * over every chain head it moved, and each of its batches keeps its head's place among them: the
 * leaf index and the audit path (32-byte hashes, concatenated). Both stay null on v1 rows, whose
 * statement names their one head itself. Columns added to an append-only table: existing rows
 * are not rewritten (nullable, no default), so the append-only triggers never see an UPDATE.
 */
export class Migration20261203000000StatementV2 extends Migration {
  override up(): void {
    this.addSql(`alter table "audit"."batches"
      add column "head_index" integer,
      add column "head_proof" bytea,
      add constraint "batches_v2_proof" check (
        ("head_index" is null) = ("head_proof" is null)
        and ("head_index" is null or "head_index" >= 0)
        and ("head_proof" is null or octet_length("head_proof") % 32 = 0)
      );`);
  }

  override down(): void {
    this.addSql(
      'alter table "audit"."batches" drop constraint "batches_v2_proof", drop column "head_proof", drop column "head_index";',
    );
  }
}

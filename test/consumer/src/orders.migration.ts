import { Migration } from '@mikro-orm/migrations';

export class MigrationOrders extends Migration {
  override up(): void {
    this.addSql(
      'create table "orders" ("id" uuid primary key, "customer" text not null, "status" text not null)',
    );
  }
}

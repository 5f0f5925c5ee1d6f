import { randomUUID } from 'node:crypto';
import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

@Entity({ tableName: 'orders' })
export class Order {
  [OptionalProps]?: 'id' | 'status';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property()
  customer!: string;

  @Property()
  status: string = 'PLACED';
}

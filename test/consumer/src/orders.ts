import { EntityManager } from '@mikro-orm/postgresql';
import { Body, Controller, Injectable, Param, Post } from '@nestjs/common';
import { Auditable } from 'audit-ledger';
import { Order } from './order.entity';

@Injectable()
export class OrdersService {
  constructor(private readonly em: EntityManager) {}

  // The order and its audit event commit in one transaction, or neither does.
  @Auditable({ entity: Order, action: 'CREATE', module: 'sales' })
  async place(customer: string): Promise<Order> {
    const order = this.em.create(Order, { customer });
    await this.em.flush();
    return order;
  }

  @Auditable({ entity: Order, action: 'UPDATE', module: 'sales' })
  async ship(id: string): Promise<Order> {
    const order = await this.em.findOneOrFail(Order, id);
    order.status = 'SHIPPED';
    return order;
  }
}

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  place(@Body() body: { customer: string }): Promise<Order> {
    return this.orders.place(body.customer);
  }

  @Post(':id/ship')
  ship(@Param('id') id: string): Promise<Order> {
    return this.orders.ship(id);
  }
}

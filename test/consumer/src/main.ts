import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

export async function createOrdersApp() {
  const app = await NestFactory.create(AppModule);
  await app.get(MikroORM).migrator.up(); // the audit schema, then yours
  return app;
}

if (require.main === module) void createOrdersApp().then((app) => app.listen(process.env.PORT ?? 3000));

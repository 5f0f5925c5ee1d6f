import { registerAs } from '@nestjs/config';
import { loadAppConfig } from './app-config';

/** The app configuration as a @nestjs/config namespace: inject with `@Inject(appConfig.KEY)`. */
export const appConfig = registerAs('app', () => loadAppConfig());

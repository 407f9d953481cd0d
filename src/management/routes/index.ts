/** Every Management API resource, each in its own file with its route schemas. */
import type { RouteRegistrar } from '../plugin.js';
import { keyRoutes } from './keys.js';

export const managementRoutes: RouteRegistrar[] = [keyRoutes];

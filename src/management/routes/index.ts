/** Every Management API resource, each in its own file with its route schemas. */
import type { RouteRegistrar } from '../plugin.js';
import { keyRoutes } from './keys.js';
import { tokenExchangeProfileRoutes } from './token-exchange-profiles.js';
import { attackProtectionRoutes } from './attack-protection.js';
import { clientRoutes } from './clients.js';
import { clientGrantRoutes } from './client-grants.js';
import { resourceServerRoutes } from './resource-servers.js';
import { actionRoutes } from './actions.js';
import { actionVersionRoutes } from './action-versions.js';
import { actionTriggerRoutes } from './action-triggers.js';
import { connectionRoutes } from './connections.js';
import { userRoutes } from './users.js';
import { organizationRoutes } from './organizations.js';
import { organizationMemberRoutes } from './organization-members.js';
import { organizationConnectionRoutes } from './organization-connections.js';
import { logRoutes } from './logs.js';
import { tenantSettingsRoutes } from './tenant-settings.js';
import { absentFeatureRoutes } from './absent-features.js';

export const managementRoutes: RouteRegistrar[] = [
  keyRoutes,
  clientRoutes,
  clientGrantRoutes,
  resourceServerRoutes,
  actionRoutes,
  actionVersionRoutes,
  actionTriggerRoutes,
];
managementRoutes.push(tokenExchangeProfileRoutes, attackProtectionRoutes);
managementRoutes.push(connectionRoutes, userRoutes, organizationRoutes, organizationMemberRoutes);
managementRoutes.push(organizationConnectionRoutes, logRoutes, tenantSettingsRoutes, absentFeatureRoutes);

/** CLI commands that call the Management API. Each resource adds its commands here. */
import type { Command } from 'commander';
import { apiClientFromEnv, type ApiClient } from './api-client.js';
import { registerActionCommands } from './actions.js';
import { registerProfileCommands } from './profiles.js';
import { registerClientCommands } from './clients.js';
import { registerApiResourceCommands } from './apis.js';
import { registerUserCommands } from './users.js';
import { registerLogCommands } from './logs.js';

export function withApi(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'Baton base URL (default BATON_URL or http://127.0.0.1:$PORT/)')
    .option('--client-id <id>', 'admin client id (default BATON_ADMIN_CLIENT_ID)')
    .option('--client-secret <secret>', 'admin client secret (default BATON_ADMIN_CLIENT_SECRET)');
}

export function api(opts: { url?: string; clientId?: string; clientSecret?: string }): ApiClient {
  return apiClientFromEnv(opts);
}

export const print = (value: unknown) => process.stdout.write(JSON.stringify(value, null, 2) + '\n');

export function registerApiCommands(_program: Command): void {
  // Resource commands are registered by their modules (clients, apis, users, actions, profiles, logs).
  registerActionCommands(_program);
  registerProfileCommands(_program);
  registerClientCommands(_program);
  registerApiResourceCommands(_program);
  registerUserCommands(_program);
  registerLogCommands(_program);
}

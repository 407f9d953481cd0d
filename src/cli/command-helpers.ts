/**
 * What every Management API command of the CLI shares: the connection options (`withApi`), the client they
 * select (`api`) and JSON output (`print`).
 */
import type { Command } from 'commander';
import { apiClientFromEnv, type ApiClient } from './api-client.js';

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

/**
 * `baton clients create --name N [--type T] [--grant-types a,b] [--auth-method M]` and `baton clients list`
 * (DESIGN section 2), over /api/v2/clients like `auth0 apps create|list`.
 */
import type { Command } from 'commander';
import { withApi, api, print } from './command-helpers.js';

type ApiFlags = { url?: string; clientId?: string; clientSecret?: string };
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function registerClientCommands(program: Command): void {
  const clients = program.command('clients').description('applications (clients)');

  withApi(
    clients
      .command('create')
      .description("create a client; a confidential client's secret is printed once")
      .requiredOption('--name <name>', 'client name')
      .option('--type <app_type>', 'native, spa, regular_web or non_interactive', 'non_interactive')
      .option('--grant-types <list>', 'comma-separated grant types (default: by type, as Auth0)', list)
      .option('--auth-method <method>', 'none, client_secret_post or client_secret_basic')
      .option('--description <text>', 'description'),
  ).action(
    async (
      opts: ApiFlags & { name: string; type: string; grantTypes?: string[]; authMethod?: string; description?: string },
    ) => {
      const body: Record<string, unknown> = { name: opts.name, app_type: opts.type };
      if (opts.grantTypes) body.grant_types = opts.grantTypes;
      if (opts.authMethod) body.token_endpoint_auth_method = opts.authMethod;
      if (opts.description !== undefined) body.description = opts.description;
      const created = await api(opts).request<{ client_secret?: string }>('POST', 'clients', body);
      print(created);
      if (created.client_secret) process.stderr.write('baton: the client secret is shown only now; store it safely\n');
    },
  );

  withApi(
    clients
      .command('list')
      .description('list clients')
      .option('--page <n>', 'page (0-based)', '0')
      .option('--per-page <n>', 'page size (max 100)', '50'),
  ).action(async (opts: ApiFlags & { page: string; perPage: string }) => {
    const query = new URLSearchParams({ page: opts.page, per_page: opts.perPage });
    print(await api(opts).request('GET', `clients?${query}`));
  });
}

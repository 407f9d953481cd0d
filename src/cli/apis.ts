/**
 * `baton apis create --identifier X --name N [--scopes a,b] [--signing-alg RS256]` and `baton apis list`
 * (DESIGN section 2), over /api/v2/resource-servers like `auth0 apis create|list`.
 */
import type { Command } from 'commander';
import { withApi, api, print } from './command-helpers.js';

type ApiFlags = { url?: string; clientId?: string; clientSecret?: string };
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function registerApiResourceCommands(program: Command): void {
  const apis = program.command('apis').description('APIs (resource servers)');

  withApi(
    apis
      .command('create')
      .description('create an API')
      .requiredOption('--identifier <identifier>', 'audience of its tokens, e.g. https://api.example.com/')
      .requiredOption('--name <name>', 'API name')
      .option('--scopes <list>', 'comma-separated scopes', list)
      .option('--signing-alg <alg>', 'RS256, PS256 or ES256')
      .option('--token-lifetime <seconds>', 'access token lifetime in seconds'),
  ).action(
    async (
      opts: ApiFlags & {
        identifier: string;
        name: string;
        scopes?: string[];
        signingAlg?: string;
        tokenLifetime?: string;
      },
    ) => {
      const body: Record<string, unknown> = { identifier: opts.identifier, name: opts.name };
      if (opts.scopes) body.scopes = opts.scopes.map((value) => ({ value }));
      if (opts.signingAlg) body.signing_alg = opts.signingAlg;
      if (opts.tokenLifetime !== undefined) {
        const seconds = Number(opts.tokenLifetime);
        if (!Number.isInteger(seconds)) throw new Error('--token-lifetime must be a whole number of seconds');
        body.token_lifetime = seconds;
      }
      print(await api(opts).request('POST', 'resource-servers', body));
    },
  );

  withApi(
    apis
      .command('list')
      .description('list APIs')
      .option('--page <n>', 'page (0-based)', '0')
      .option('--per-page <n>', 'page size (max 100)', '50'),
  ).action(async (opts: ApiFlags & { page: string; perPage: string }) => {
    const query = new URLSearchParams({ page: opts.page, per_page: opts.perPage });
    print(await api(opts).request('GET', `resource-servers?${query}`));
  });
}

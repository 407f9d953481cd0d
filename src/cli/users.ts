/**
 * `baton users create --connection C --email E [--password P]` and `baton users list [--q Q]` (DESIGN section 2),
 * over /api/v2/users like `auth0 users create|search`. The password may also come from BATON_USER_PASSWORD, which
 * keeps it out of the shell history and the process list.
 */
import type { Command } from 'commander';
import { withApi, api, print } from './command-helpers.js';

type ApiFlags = { url?: string; clientId?: string; clientSecret?: string };

export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('users');

  withApi(
    users
      .command('create')
      .description('create a user in a database connection')
      .requiredOption('--connection <name>', 'database connection name')
      .requiredOption('--email <email>', 'e-mail address')
      .option('--password <password>', 'initial password (or BATON_USER_PASSWORD)')
      .option('--name <name>', 'full name')
      .option('--username <username>', 'username, when the connection requires one'),
  ).action(
    async (
      opts: ApiFlags & { connection: string; email: string; password?: string; name?: string; username?: string },
    ) => {
      const body: Record<string, unknown> = { connection: opts.connection, email: opts.email };
      const password = opts.password ?? process.env.BATON_USER_PASSWORD;
      if (password !== undefined) body.password = password;
      if (opts.name !== undefined) body.name = opts.name;
      if (opts.username !== undefined) body.username = opts.username;
      print(await api(opts).request('POST', 'users', body));
    },
  );

  withApi(
    users
      .command('list')
      .description('list or search users (q: email:"x@example.com", a plain e-mail, or email:prefix*)')
      .option('--q <query>', 'search query')
      .option('--page <n>', 'page (0-based)', '0')
      .option('--per-page <n>', 'page size (max 100)', '50'),
  ).action(async (opts: ApiFlags & { q?: string; page: string; perPage: string }) => {
    const query = new URLSearchParams({ page: opts.page, per_page: opts.perPage });
    if (opts.q !== undefined) query.set('q', opts.q);
    print(await api(opts).request('GET', `users?${query}`));
  });
}

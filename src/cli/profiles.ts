/**
 * `baton profiles create --name N --subject-token-type T --action-id A`, `baton profiles list` and
 * `baton profiles delete ID` (DESIGN section 2), over the Management API's /token-exchange-profiles (spec 3.2).
 */
import type { Command } from 'commander';
import { withApi, api, print } from './command-helpers.js';

interface ApiFlags {
  url?: string;
  clientId?: string;
  clientSecret?: string;
}

interface ProfilePage {
  token_exchange_profiles: unknown[];
  next?: string;
}

export function registerProfileCommands(program: Command): void {
  const profiles = program
    .command('profiles')
    .description('Custom Token Exchange Profiles (subject_token_type → Action)');

  withApi(
    profiles
      .command('create')
      .description('route a subject_token_type to a deployed custom-token-exchange Action')
      .requiredOption('--name <name>', 'friendly name (3 to 50 characters)')
      .requiredOption(
        '--subject-token-type <uri>',
        'the subject_token_type clients send (https://, http:// or urn: URI)',
      )
      .requiredOption('--action-id <id>', 'id of a deployed custom-token-exchange Action'),
  ).action(async (opts: ApiFlags & { name: string; subjectTokenType: string; actionId: string }) => {
    const profile = await api(opts).request('POST', 'token-exchange-profiles', {
      name: opts.name,
      subject_token_type: opts.subjectTokenType,
      action_id: opts.actionId,
      type: 'custom_authentication',
    });
    print(profile);
  });

  withApi(profiles.command('list').description('list every profile (follows the checkpoint pages)')).action(
    async (opts: ApiFlags) => {
      const client = api(opts);
      const all: unknown[] = [];
      let from: string | undefined;
      do {
        const page: ProfilePage = await client.request<ProfilePage>(
          'GET',
          `token-exchange-profiles?take=100${from ? `&from=${encodeURIComponent(from)}` : ''}`,
        );
        all.push(...page.token_exchange_profiles);
        from = page.next;
      } while (from);
      print(all);
    },
  );

  withApi(profiles.command('delete <id>').description('delete a profile')).action(
    async (id: string, opts: ApiFlags) => {
      await api(opts).request('DELETE', `token-exchange-profiles/${encodeURIComponent(id)}`);
      print({ deleted: id });
    },
  );
}

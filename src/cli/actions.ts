/**
 * `baton actions deploy FILE --name NAME [--trigger ID] [--secret KEY=VALUE ...]` and `baton actions test ID --event FILE`
 * (DESIGN section 2), over the Management API like the `auth0` CLI.
 */
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { withApi, api, print } from './command-helpers.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function parseSecret(kv: string): { name: string; value: string } {
  const eq = kv.indexOf('=');
  if (eq <= 0) throw new Error(`--secret expects KEY=VALUE, got '${kv}'`);
  return { name: kv.slice(0, eq), value: kv.slice(eq + 1) };
}

interface ActionView {
  id: string;
  name: string;
  supported_triggers: Array<{ id: string }>;
  secrets: Array<{ name: string }>;
}

export function registerActionCommands(program: Command): void {
  const actions = program.command('actions').description('Actions (custom-token-exchange, post-login)');

  withApi(
    actions
      .command('deploy <file>')
      .description('create or update the Action of that name from FILE, then deploy it')
      .requiredOption('--name <name>', 'Action name')
      .option('--trigger <id>', 'trigger id', 'custom-token-exchange')
      .option(
        '--secret <KEY=VALUE>',
        'secret (repeatable); secrets not named keep their values',
        collect,
        [] as string[],
      ),
  ).action(
    async (
      file: string,
      opts: { name: string; trigger: string; secret: string[]; url?: string; clientId?: string; clientSecret?: string },
    ) => {
      const code = await fs.readFile(file, 'utf8');
      const given = opts.secret.map(parseSecret);
      const client = api(opts);
      const found = await client.request<{ actions: ActionView[] }>(
        'GET',
        `actions/actions?actionName=${encodeURIComponent(opts.name)}`,
      );
      let action: ActionView;
      if (found.actions[0]) {
        const existing = found.actions[0];
        if (existing.supported_triggers[0]?.id !== opts.trigger) {
          throw new Error(
            `action '${opts.name}' exists for the trigger '${existing.supported_triggers[0]?.id}', not '${opts.trigger}'`,
          );
        }
        const body: Record<string, unknown> = { code };
        if (given.length) {
          // The API replaces the set of secrets; resend the other names without values so they are kept.
          const kept = existing.secrets
            .filter((s) => !given.some((g) => g.name === s.name))
            .map((s) => ({ name: s.name }));
          body.secrets = [...kept, ...given];
        }
        action = await client.request<ActionView>('PATCH', `actions/actions/${existing.id}`, body);
      } else {
        action = await client.request<ActionView>('POST', 'actions/actions', {
          name: opts.name,
          supported_triggers: [{ id: opts.trigger }],
          code,
          secrets: given,
        });
      }
      const version = await client.request<{ id: string; number: number }>(
        'POST',
        `actions/actions/${action.id}/deploy`,
      );
      print({ id: action.id, name: action.name, version: version.number, version_id: version.id });
    },
  );

  withApi(
    actions
      .command('test <id>')
      .description("run the Action's current code against the event in FILE (nothing is applied)")
      .requiredOption('--event <file>', 'JSON file holding the event object'),
  ).action(async (id: string, opts: { event: string; url?: string; clientId?: string; clientSecret?: string }) => {
    let event: unknown;
    try {
      event = JSON.parse(await fs.readFile(opts.event, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read the event from ${opts.event}: ${(err as Error).message}`, { cause: err });
    }
    const res = await api(opts).request<{ payload: { commands: unknown[]; logs: unknown[]; error: unknown } }>(
      'POST',
      `actions/actions/${encodeURIComponent(id)}/test`,
      { payload: event },
    );
    const { commands, logs, error } = res.payload;
    print({ commands, logs, error });
  });
}

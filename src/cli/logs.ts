/**
 * `baton logs tail [--type secte] [--follow]` (DESIGN section 2): prints the latest tenant log entries (spec
 * section 11) oldest first, then, with --follow, polls GET /api/v2/logs with Auth0's checkpoint (`from`/`take`)
 * and prints new entries as they arrive, like `auth0 logs tail`.
 */
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { withApi, api } from './command-helpers.js';

type ApiFlags = { url?: string; clientId?: string; clientSecret?: string };

interface LogLine {
  log_id: string;
  date: string;
  type: string;
  description?: string;
  client_id?: string;
  user_id?: string;
  ip?: string;
}

function format(entry: LogLine, as: string): string {
  if (as === 'json') return JSON.stringify(entry);
  const who = [
    entry.client_id && `client=${entry.client_id}`,
    entry.user_id && `user=${entry.user_id}`,
    entry.ip && `ip=${entry.ip}`,
  ];
  return [entry.date, entry.type.padEnd(8), ...who.filter(Boolean), entry.description ?? ''].join('  ');
}

export function registerLogCommands(program: Command): void {
  const logs = program.command('logs').description('tenant logs');

  withApi(
    logs
      .command('tail')
      .description('show the latest log entries; --follow keeps polling for new ones')
      .option('--type <types>', 'only these event types, comma-separated (secte,fecte,limit_mu...)')
      .option('--number <n>', 'how many of the latest entries to show first (max 100)', '20')
      .option('--follow', 'keep polling for new entries')
      .option('--interval <ms>', 'polling interval with --follow', '2000')
      .option('--format <format>', 'text or json (one entry per line)', 'text'),
  ).action(
    async (opts: ApiFlags & { type?: string; number: string; follow?: boolean; interval: string; format: string }) => {
      const client = api(opts);
      const types =
        opts.type
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean) ?? [];
      const q = types.length ? `type:(${types.join(' OR ')})` : undefined;
      const withQ = (params: Record<string, string>) => new URLSearchParams(q ? { ...params, q } : params).toString();
      const show = (entries: LogLine[]) => {
        for (const e of entries) process.stdout.write(`${format(e, opts.format)}\n`);
      };

      const latest = await client.request<LogLine[]>('GET', `logs?${withQ({ per_page: opts.number })}`);
      show([...latest].reverse());
      let last = latest[0]?.log_id;
      while (opts.follow) {
        await sleep(Number(opts.interval));
        const fresh = last
          ? await client.request<LogLine[]>('GET', `logs?${withQ({ from: last, take: '100' })}`)
          : [...(await client.request<LogLine[]>('GET', `logs?${withQ({ per_page: '100' })}`))].reverse();
        show(fresh);
        last = fresh[fresh.length - 1]?.log_id ?? last;
      }
    },
  );
}

#!/usr/bin/env -S node --max-old-space-size=256
/** `baton`: run the server, migrate, rotate keys, and drive the Management API (like the `auth0` CLI). */
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, ConfigError } from '../config/index.js';
import { envSchema } from '../config/env.js';
import { startServer } from '../cluster/workers.js';
import { openStorage } from '../storage/index.js';
import { tenantKeySet } from '../keys/key-set.js';
import { createSealer, resolveMasterKey } from '../crypto/master-key.js';
import { registerApiCommands } from './api-commands.js';
import { registerQuickstartCommand } from './quickstart.js';

const program = new Command();
program
  .name('baton')
  .description('Baton: self-hosted authorization server with Custom Token Exchange')
  .showHelpAfterError();

program
  .command('serve')
  .description('start the server (configuration from the environment)')
  .option('--workers <n>', 'server processes on one port, 1 to 64 (default: BATON_WORKERS, else 1)', parseWorkers)
  .action(async (opts: { workers?: number }) => {
    // The flag wins over BATON_WORKERS; through the environment it also reaches the forked server processes.
    if (opts.workers !== undefined) process.env.BATON_WORKERS = String(opts.workers);
    await startServer(loadConfig());
  });

/** `--workers` within BATON_WORKERS's bounds (config/env.ts). */
function parseWorkers(value: string): number {
  const parsed = envSchema.shape.BATON_WORKERS.safeParse(value);
  if (!parsed.success || !/^\d+$/.test(value.trim()))
    throw new InvalidArgumentError('must be a whole number from 1 to 64');
  return parsed.data;
}

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () => {
    const storage = await openStorage(loadConfig());
    await storage.close();
    process.stdout.write('database schema is up to date\n');
  });

const keys = program.command('keys').description('signing keys');
keys
  .command('rotate')
  .description('create new signing keys; the old ones stay published until their tokens expire')
  .action(async () => {
    const config = loadConfig();
    const storage = await openStorage(config);
    let fresh;
    try {
      fresh = await tenantKeySet(storage.repos, createSealer(resolveMasterKey(config))).rotate();
    } finally {
      await storage.close();
    }
    for (const k of fresh) process.stdout.write(`${k.alg}\t${k.kid}\n`);
  });

registerApiCommands(program);
registerQuickstartCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`baton: ${err.message}\n`);
  else process.stderr.write(`baton: ${(err as Error).message}\n`);
  process.exit(1);
});

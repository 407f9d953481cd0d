/** CLI commands that call the Management API: registers each resource's commands (their helpers: command-helpers.ts). */
import type { Command } from 'commander';
import { registerActionCommands } from './actions.js';
import { registerProfileCommands } from './profiles.js';
import { registerClientCommands } from './clients.js';
import { registerApiResourceCommands } from './apis.js';
import { registerUserCommands } from './users.js';
import { registerLogCommands } from './logs.js';

export function registerApiCommands(_program: Command): void {
  // Resource commands are registered by their modules (clients, apis, users, actions, profiles, logs).
  registerActionCommands(_program);
  registerProfileCommands(_program);
  registerClientCommands(_program);
  registerApiResourceCommands(_program);
  registerUserCommands(_program);
  registerLogCommands(_program);
}

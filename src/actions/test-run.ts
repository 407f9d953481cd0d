/** Test runs (POST /actions/actions/{id}/test): the Action's draft against a given event, with no side effects. */
import { createHash } from 'node:crypto';
import type { AppContext } from '../context.js';
import type { RunResult } from './contract.js';
import { getAction } from './lifecycle.js';
import { npmDependencies } from './deployed.js';
import { openSecrets, secretsRecord } from './secrets.js';

export interface TestRunPayload {
  kind: RunResult['kind'];
  commands: RunResult['commands'];
  logs: RunResult['logs'];
  /** Why the run failed; `rule` names the broken `api` rule of an invalid_command. */
  error: { name: string; message: string; rule?: string } | null;
  duration_ms: number;
}

function runError(r: RunResult): TestRunPayload['error'] {
  switch (r.kind) {
    case 'ok':
      return null;
    case 'thrown':
      return { name: r.name, message: r.message };
    case 'timeout':
      return {
        name: 'TimeoutError',
        message: r.limit === 'cpu' ? 'The action exceeded its CPU budget.' : 'The action exceeded its time limit.',
      };
    case 'memory':
      return { name: 'MemoryError', message: 'The action exceeded its memory limit.' };
    case 'invalid_command':
      return { name: 'InvalidCommandError', message: `${r.command}: ${r.message}`, rule: r.rule };
    case 'unavailable':
      return { name: 'UnavailableError', message: 'The action did not start: the sandbox was busy.' };
  }
}

/**
 * Runs the current draft (deployed or not) with its secrets against the given event; commands are reported, not
 * applied. The answer is bounded by the run's command budget, the log line caps and the truncated error message.
 */
export async function testAction(ctx: AppContext, id: string, event: Record<string, unknown>): Promise<TestRunPayload> {
  const action = await getAction(ctx, id);
  const secrets = secretsRecord(await openSecrets(ctx, action.id, action.secrets_enc));
  const packages = await ctx.actionPackages.load(npmDependencies(action.dependencies));
  // The context is cached by this id: it changes with the code and with the dependencies' exact versions.
  const codeHash = createHash('sha256')
    .update(action.code)
    .update(JSON.stringify(packages.map((p) => `${p.name}@${p.version}`)))
    .digest('base64url');
  // The Action's own secrets win over any `secrets` in the given event, as in a real run.
  const result = await ctx.actions.run({
    versionId: `draft:${action.id}:${codeHash}`,
    code: action.code,
    trigger: action.trigger_id,
    event: { ...event, secrets },
    secrets,
    packages,
    // api.cache: a scratch namespace, so a test never reads or writes what production runs cached.
    testRun: true,
  });
  return {
    kind: result.kind,
    commands: result.commands,
    logs: result.logs,
    error: runError(result),
    duration_ms: result.durationMs,
  };
}

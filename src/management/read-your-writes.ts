/**
 * Read-your-writes on one node (issue 13, docs/deployment.md "Consistency: what a node reads"): the login counters
 * and tenant log entries this node has answered for are written behind the response (login/recorder.ts,
 * logs/writer.ts). A Management API read of users or logs first waits for what this node has buffered to be
 * stored, so it sees every exchange this node answered before the read arrived. If the database does not take the
 * buffer within FLUSH_WITHIN_MS, the read answers 503 rather than a stale view.
 */
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';

const FLUSH_WITHIN_MS = 1500;

/** preHandler of user reads: this node's buffered login counts are stored first. */
export function seeOwnLogins(ctx: Pick<AppContext, 'logins'>) {
  return async (_request: FastifyRequest): Promise<void> => {
    await ctx.logins.flushWithin(FLUSH_WITHIN_MS);
  };
}

/** preHandler of tenant log reads: this node's buffered entries are stored first. */
export function seeOwnLogs(ctx: Pick<AppContext, 'logs'>) {
  return async (_request: FastifyRequest): Promise<void> => {
    await ctx.logs.flushWithin(FLUSH_WITHIN_MS);
  };
}

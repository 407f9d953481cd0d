/**
 * The RFC 8693 section 4.1 `act` claim as Auth0's `api.authentication.setActor` defines it (spec 6.6). Its shape
 * is checked once, on the host, as the Action records it (actions/triggers/commands.ts actorProblem).
 */
import type { Actor } from '../actions/contract.js';

export type ActorClaim = Actor;

/** The log form of an actor chain (spec 11.2, DESIGN D2): `sub` and nested `act` only. */
export function actorForLog(actor: ActorClaim | undefined): Record<string, unknown> | undefined {
  if (!actor) return undefined;
  const out: Record<string, unknown> = { sub: actor.sub };
  if (actor.act) out.act = actorForLog(actor.act);
  return out;
}

/**
 * The RFC 8693 section 4.1 `act` claim as Auth0's `api.authentication.setActor` defines it (spec 6.6):
 * `{sub, act?, ...custom}`, at most 5 actors (root + 4 nested), at most 5 scalar custom members per level.
 */
export interface ActorClaim {
  sub: string;
  act?: ActorClaim;
  [custom: string]: string | number | boolean | ActorClaim | undefined;
}

export const MAX_ACTOR_DEPTH = 5;
export const MAX_ACTOR_CUSTOM_PROPERTIES = 5;

/** Returns null when valid, else the rule that was broken. */
export function actorShapeError(value: unknown, depth = 1): string | null {
  if (depth > MAX_ACTOR_DEPTH) return `setActor: at most ${MAX_ACTOR_DEPTH} actors (root plus 4 nested act levels)`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'setActor: the actor must be an object';
  const obj = value as Record<string, unknown>;
  if (typeof obj.sub !== 'string' || obj.sub.length === 0) return 'setActor: sub is required and must be a non-empty string';
  const custom = Object.keys(obj).filter((k) => k !== 'sub' && k !== 'act');
  if (custom.length > MAX_ACTOR_CUSTOM_PROPERTIES)
    return `setActor: at most ${MAX_ACTOR_CUSTOM_PROPERTIES} custom properties per actor level`;
  for (const k of custom) {
    const t = typeof obj[k];
    if (t !== 'string' && t !== 'number' && t !== 'boolean') return `setActor: custom property ${k} must be a string, number or boolean`;
  }
  if (obj.act !== undefined) return actorShapeError(obj.act, depth + 1);
  return null;
}

/** The log form of an actor chain (spec 11.2, DESIGN D2): `sub` and nested `act` only. */
export function actorForLog(actor: ActorClaim | undefined): Record<string, unknown> | undefined {
  if (!actor) return undefined;
  const out: Record<string, unknown> = { sub: actor.sub };
  if (actor.act) out.act = actorForLog(actor.act);
  return out;
}

/**
 * Auth0's checkpoint pagination: `from` (the `next` of the previous answer) and `take` (1 to 100, default 50);
 * the answer is `{<key>: [...], next?}`, `next` present while more remain. The auth0 v7 SDK pages this way for
 * connections, organizations, members and connection clients.
 */
export const checkpointQueryProperties = {
  from: { type: 'string', minLength: 1, maxLength: 300 },
  take: { type: 'integer', minimum: 1, maximum: 100 },
} as const;

export interface CheckpointQuery {
  from?: string;
  take?: number;
}

export const isCheckpoint = (q: CheckpointQuery): boolean => q.from !== undefined || q.take !== undefined;

export function checkpointResponseSchema(key: string, item: object) {
  return {
    type: 'object',
    required: [key],
    properties: { [key]: { type: 'array', items: item }, next: { type: 'string' } },
  };
}

/** The repository's checkpoint options for a query: `take` defaults to 50, `from` only when given. */
export const checkpointOf = (q: CheckpointQuery): { take: number; from?: string } => ({
  take: q.take ?? 50,
  ...(q.from !== undefined ? { from: q.from } : {}),
});

/**
 * Auth0's list paging for the Management API: `page` (0-based), `per_page` (1 to 100, default 50) and
 * `include_totals`, which turns the bare array into `{start, limit, length, total, <key>}`.
 */
export const pagingQueryProperties = {
  page: { type: 'integer', minimum: 0, default: 0 },
  per_page: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
  include_totals: { type: 'boolean', default: false },
} as const;

/** A list route's querystring: Auth0's paging and the route's own properties, nothing else. */
export function listQuery<const P extends Record<string, object>>(extra: P) {
  return { type: 'object', additionalProperties: false, properties: { ...pagingQueryProperties, ...extra } } as const;
}

export interface PagingQuery {
  page: number;
  per_page: number;
  include_totals: boolean;
}

/** Response schema for a list: either the array or the totals envelope around it. */
export function listResponseSchema(key: string, item: object) {
  return {
    anyOf: [
      { type: 'array', items: item },
      {
        type: 'object',
        required: ['start', 'limit', 'length', 'total', key],
        properties: {
          start: { type: 'integer' },
          limit: { type: 'integer' },
          length: { type: 'integer' },
          total: { type: 'integer' },
          [key]: { type: 'array', items: item },
        },
      },
    ],
  };
}

export function pagedResult<T>(key: string, items: T[], total: number, q: PagingQuery): T[] | Record<string, unknown> {
  if (!q.include_totals) return items;
  return { start: q.page * q.per_page, limit: q.per_page, length: items.length, total, [key]: items };
}

/**
 * Auth0's `fields` / `include_fields` projection, shared by the list and read routes that offer it: `fields` is a
 * comma-separated list of names, kept (`include_fields` true, the default) or dropped (false).
 */
export const fieldsQueryProperties = {
  fields: { type: 'string' },
  include_fields: { type: 'boolean', default: true },
} as const;

export interface FieldsQuery {
  fields?: string | undefined;
  include_fields?: boolean | undefined;
}

export function projectFields(item: object, q: FieldsQuery): Record<string, unknown> {
  if (!q.fields) return Object.fromEntries(Object.entries(item));
  const names = new Set(q.fields.split(',').map((f) => f.trim()));
  const keep = q.include_fields !== false;
  return Object.fromEntries(Object.entries(item).filter(([k]) => names.has(k) === keep));
}

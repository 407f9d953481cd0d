/**
 * Path parameter schemas shared by the Management routes: Baton's ids (`cgr_…`, `con_…`, `org_…`, 24 hex digits)
 * fit in 64 characters. Resource servers (a URL-encoded identifier) and users (`provider|id`) have their own.
 */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

/**
 * The Management API's delete-by-id route, shared by the resources that answer it the same way: one scope, the id
 * in the path, the resource's own checks and removal, then Auth0's empty 204.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireScope } from '../plugin.js';
import { idParams } from './params.js';

/** A path schema with the `id` parameter (params.ts's, or a resource's own with other limits). */
interface IdParamsSchema {
  readonly type: 'object';
  readonly required: readonly ['id'];
  readonly properties: { readonly id: object };
}

export interface DeleteRoute {
  path: string;
  scope: string;
  /** Checks and removes the resource; throws its ApiError when it may not or does not exist. */
  remove: (id: string, request: FastifyRequest) => Promise<void>;
  params?: IdParamsSchema;
}

export function deleteByIdRoute(app: FastifyInstance, route: DeleteRoute): void {
  app.delete<{ Params: { id: string } }>(
    route.path,
    { preHandler: requireScope(route.scope), schema: { params: route.params ?? idParams } },
    async (request, reply) => {
      await route.remove(request.params.id, request);
      return reply.status(204).send();
    },
  );
}

/**
 * A tenant-wide settings document on the Management API: GET answers what is stored over Auth0's defaults, PATCH
 * merges the body's top-level properties into it, PUT replaces it. The document lives in the `settings` table under
 * its own key, so what is written is what is read back (Auth0's Deploy CLI exports these and PATCHes them back).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope } from '../plugin.js';

type Json = Record<string, unknown> | unknown[];

export interface SettingsDocument {
  path: string;
  /** The `settings` row holding the document. */
  key: string;
  readScope: string;
  updateScope: string;
  /** PATCH merges objects (most of Auth0's settings); PUT replaces (`/guardian/policies`, an array). */
  write: 'PATCH' | 'PUT';
  /** What Auth0 answers before anything was written. */
  defaults: Json;
  /** The body schema; it is also the response schema's shape. */
  body: object;
}

export async function readDocument<T extends Json>(ctx: AppContext, doc: Pick<SettingsDocument, 'key' | 'defaults'>) {
  const stored = await ctx.repos.settings.get<Json>(doc.key);
  if (Array.isArray(doc.defaults)) return (stored ?? doc.defaults) as T;
  return { ...doc.defaults, ...(stored as Record<string, unknown> | undefined) } as T;
}

export function settingsDocumentRoutes(app: FastifyInstance, ctx: AppContext, doc: SettingsDocument): void {
  app.get(doc.path, { preHandler: requireScope(doc.readScope), schema: { response: { 200: doc.body } } }, async () =>
    readDocument(ctx, doc),
  );
  app.route({
    method: doc.write,
    url: doc.path,
    preHandler: requireScope(doc.updateScope),
    schema: { body: doc.body, response: { 200: doc.body } },
    handler: async (request) => {
      const body = request.body as Json;
      const next = doc.write === 'PUT' || Array.isArray(body) ? body : { ...(await readDocument(ctx, doc)), ...body };
      await ctx.repos.settings.set(doc.key, next);
      return next;
    },
  });
}

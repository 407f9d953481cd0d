/**
 * GET /api/v2/openapi.json: a valid OpenAPI 3 document generated from the route schemas, public like Auth0's,
 * listing every Management route, and whose response schemas name no secret where none may leave.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { managementPlugin } from '../../src/management/plugin.js';
import { managementRoutes } from '../../src/management/routes/index.js';

type Schema = {
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};
type Operation = {
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every property name a schema can serialize, at any depth, with its path. */
function propertyPaths(schema: Schema | undefined, at = ''): string[] {
  if (!schema) return [];
  const out: string[] = [];
  for (const [name, sub] of Object.entries(schema.properties ?? {}))
    out.push(`${at}${name}`, ...propertyPaths(sub, `${at}${name}.`));
  if (schema.items) out.push(...propertyPaths(schema.items, `${at}[].`));
  for (const alt of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])])
    out.push(...propertyPaths(alt, at));
  return out;
}

/** `METHOD /path/{param}` of each operation whose response schemas serialize a property matching `name`. */
function operationsSerializing(doc: Doc, name: RegExp): string[] {
  const found: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const schemas = Object.values(op.responses ?? {}).flatMap((r) =>
        Object.values(r.content ?? {}).map((c) => c.schema),
      );
      if (schemas.some((s) => propertyPaths(s).some((p) => name.test(p))))
        found.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return found.sort();
}

describe('the Management API OpenAPI document', () => {
  let t: TestApp;
  let doc: Doc;
  before(async () => {
    t = await startTestApp();
    const res = await t.app.inject({ method: 'GET', url: '/api/v2/openapi.json' });
    assert.equal(res.statusCode, 200, 'served without a token');
    assert.match(String(res.headers['content-type']), /^application\/json/);
    doc = res.json();
  });
  after(async () => {
    // This suite is short: under load it closes while the sandbox workers still boot. They are unref'd, so without
    // a handle of its own the loop could end before their terminate() settles (actions/runtime/pool.ts close()).
    const alive = setInterval(() => undefined, 1000);
    try {
      await t.close();
    } finally {
      clearInterval(alive);
    }
  });

  test('is a valid OpenAPI 3 document', async () => {
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  test('lists every registered Management route, and nothing else', async () => {
    const registered = new Set<string>();
    const probe = Fastify({ logger: false });
    probe.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (!METHODS.includes(method.toLowerCase()) || route.url.endsWith('/openapi.json')) continue;
        registered.add(`${method.toLowerCase()} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
      }
    });
    await probe.register(managementPlugin(t.ctx, managementRoutes), { prefix: '/api/v2' });
    await probe.ready();
    await probe.close();
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item)
          .filter((m) => METHODS.includes(m))
          .map((m) => `${m} ${path}`),
      ),
    );
    assert.ok(registered.size > 60, `the probe saw the routes (${registered.size})`);
    assert.deepEqual([...documented].sort(), [...registered].sort());
    assert.ok(
      registered.has('post /api/v2/resource-servers') && registered.has('delete /api/v2/organizations/{id}/members'),
    );
  });

  test('describes bodies from the route schemas', () => {
    const body = doc.paths['/api/v2/resource-servers']!.post!.requestBody!.content['application/json']!
      .schema as Schema & { required?: string[] };
    assert.deepEqual(body.required, ['identifier']);
    assert.ok(body.properties?.token_lifetime, 'the mutable properties are there');
  });

  test('no response schema can serialize a stored secret, a hash or a password', () => {
    assert.deepEqual(
      operationsSerializing(doc, /(^|\.)(client_secret_hash|password|password_hash|hash|secret_hash)$/i),
      [],
    );
    assert.deepEqual(
      operationsSerializing(doc, /(^|\.)(private_key|d|p|q|dp|dq|qi)$/),
      [],
      'no private JWK member outside jwk objects',
    );
    // An Action's secrets are listed by name only; their values never leave.
    assert.deepEqual(operationsSerializing(doc, /(^|\.)secrets\.\[\]\.value$/), []);
  });

  test("a client's secret is in the answers of create and rotate-secret only", () => {
    assert.deepEqual(operationsSerializing(doc, /^client_secret$/), [
      'POST /api/v2/clients',
      'POST /api/v2/clients/{id}/rotate-secret',
    ]);
  });

  test('every other route still needs a token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v2/clients' });
    assert.equal(res.statusCode, 401);
  });
});

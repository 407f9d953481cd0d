/**
 * The Actions Management service behind /api/v2/actions (spec 3.5, 5.1; DESIGN section 4), one module per
 * concern: the catalog of triggers and limits, the Action lifecycle (create to delete, versions), the post-login
 * flow's bindings and test runs. The token endpoint reads deployed versions from deployed.ts, not from here.
 */
export * from './catalog.js';
export * from './lifecycle.js';
export * from './bindings.js';
export * from './test-run.js';

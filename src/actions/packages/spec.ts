/**
 * What a declared dependency may say (issue 12): an npm package name, and an exact version, a semver range or a
 * dist-tag (`latest`). Anything npm would read as a file, a URL or a git repository is refused before npm sees it,
 * so a dependency can only ever come from the configured registry or folder.
 */
import semver from 'semver';
import { PackageError } from './errors.js';

/** npm's rules for new package names (validate-npm-package-name): lower case, URL-safe, at most 214 characters. */
const NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const TAG = /^[a-z][a-z0-9._-]{0,63}$/i;

export type VersionSpec =
  { kind: 'exact'; version: string } | { kind: 'range'; range: string } | { kind: 'tag'; tag: string };

export function parseDependency(dep: { name: string; version: string }): VersionSpec {
  if (dep.name.length > 214 || !NAME.test(dep.name))
    throw new PackageError('invalid', `Dependency name '${dep.name}' is not a valid npm package name.`);
  const v = dep.version.trim();
  const exact = semver.valid(v);
  if (exact) return { kind: 'exact', version: exact };
  // A range is semver syntax only: no `file:`, `git+`, `http:` or `npm:` alias reaches npm.
  if (v.length <= 256 && !/[:/\\@]/.test(v) && semver.validRange(v) !== null) return { kind: 'range', range: v };
  if (TAG.test(v)) return { kind: 'tag', tag: v };
  throw new PackageError(
    'invalid',
    `Dependency '${dep.name}' has an invalid version '${dep.version}': use an exact version, a semver range or a tag such as 'latest'.`,
  );
}

/** The spec as npm reads it after the package name. */
export function specText(spec: VersionSpec): string {
  return spec.kind === 'exact' ? spec.version : spec.kind === 'range' ? spec.range : spec.tag;
}

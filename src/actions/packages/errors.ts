/**
 * Why a dependency cannot be used, as the Management API reports it (lifecycle.ts maps each kind to Auth0's error
 * shape): the client's mistake (`invalid`, `not_found`, `refused`, `too_large`: 400) or the registry's (`unavailable`:
 * 503). Messages name the package; they never quote npm's output, which may carry the registry's URL.
 */
export type PackageErrorKind = 'invalid' | 'not_found' | 'refused' | 'too_large' | 'unavailable';

export class PackageError extends Error {
  override name = 'PackageError';
  constructor(
    readonly kind: PackageErrorKind,
    message: string,
  ) {
    super(message);
  }
}

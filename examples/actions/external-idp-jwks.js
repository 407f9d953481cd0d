/**
 * Re-use an external IdP's tokens (spec 15.1): the subject token is an OIDC ID token (or JWT access token) from
 * another issuer, verified against that issuer's JWKS.
 * Secrets: JWKS_URL, ISSUER, AUDIENCE. Connection: "external-oidc" (enabled for the client).
 */
const jose = require('jose');

exports.onExecuteCustomTokenExchange = async (event, api) => {
  const jwks = jose.createRemoteJWKSet(new URL(event.secrets.JWKS_URL));
  let payload;
  try {
    ({ payload } = await jose.jwtVerify(event.transaction.subject_token, jwks, {
      issuer: event.secrets.ISSUER,
      audience: event.secrets.AUDIENCE,
      algorithms: ['RS256', 'PS256', 'ES256'],
      clockTolerance: 5,
    }));
  } catch (err) {
    if (err instanceof jose.errors.JOSEError && err.code !== 'ERR_JWKS_TIMEOUT') {
      // A bad token: count it for suspicious IP throttling.
      return api.access.rejectInvalidSubjectToken(`Invalid subject token (${err.code})`);
    }
    // The IdP could not be reached: a transient failure, not the caller's fault.
    throw err;
  }
  api.authentication.setUserByConnection(
    'external-oidc',
    {
      user_id: payload.sub,
      email: payload.email,
      email_verified: payload.email_verified === true,
      name: payload.name,
      verify_email: false,
    },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' },
  );
};

/**
 * A token signed with a shared secret (HS256). Only with a high-entropy secret (>= 256 bits) kept in the Action's
 * secrets (spec 15.2). Secrets: SHARED_SECRET. Connection: "partner-idp" (enabled for the client).
 * The `baton quickstart` command deploys this Action.
 */
const jose = require('jose');

exports.onExecuteCustomTokenExchange = async (event, api) => {
  const secret = new TextEncoder().encode(event.secrets.SHARED_SECRET);
  let payload;
  try {
    ({ payload } = await jose.jwtVerify(event.transaction.subject_token, secret, {
      issuer: 'urn:partner:issuer',
      audience: 'urn:baton:exchange',
      algorithms: ['HS256'],
    }));
  } catch (err) {
    return api.access.rejectInvalidSubjectToken(`Invalid subject token (${err.code || 'malformed'})`);
  }
  api.authentication.setUserByConnection(
    'partner-idp',
    { user_id: payload.sub, email: payload.email, email_verified: true },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' },
  );
};

/**
 * Seamless migration from a legacy IdP (spec 15.1): the subject token is the legacy refresh token. Redeem it at the
 * legacy token endpoint, read the legacy userinfo, then select the user imported beforehand.
 * Secrets: LEGACY_TOKEN_URL, LEGACY_USERINFO_URL, LEGACY_CLIENT_ID, LEGACY_CLIENT_SECRET.
 * Connection: "legacy-db" holding the bulk-imported users.
 */
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const res = await fetch(event.secrets.LEGACY_TOKEN_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: event.transaction.subject_token,
      client_id: event.secrets.LEGACY_CLIENT_ID,
      client_secret: event.secrets.LEGACY_CLIENT_SECRET,
    }).toString(),
  });
  if (res.status === 400) {
    const body = await res.json();
    if (body.error === 'invalid_grant') return api.access.rejectInvalidSubjectToken('Legacy refresh token is invalid');
  }
  // Any other failure is the legacy IdP's: throw, so the caller is not throttled for it.
  if (!res.ok) throw new Error(`legacy token endpoint answered ${res.status}`);
  const { access_token } = await res.json();
  const info = await fetch(event.secrets.LEGACY_USERINFO_URL, { headers: { authorization: `Bearer ${access_token}` } });
  if (!info.ok) throw new Error(`legacy userinfo answered ${info.status}`);
  const profile = await info.json();
  api.authentication.setUserByConnection(
    'legacy-db',
    { user_id: profile.sub },
    { creationBehavior: 'none', updateBehavior: 'none' },
  );
  api.user.setAppMetadata('migrated_at', new Date().toISOString());
};

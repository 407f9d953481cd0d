/**
 * Delegation (spec 15.1, "support agent via API" / "AI agent on behalf of a user"): the subject token is a JWT
 * naming the end user, signed by the ticketing system (HS256, secret TICKET_SECRET); the actor token is the agent's
 * Baton ID token (actor_token_type urn:ietf:params:oauth:token-type:id_token), validated by Baton before this runs.
 * The Action authorizes actor → subject, then records the chain with setActor: the tokens carry `act`, and no
 * refresh token is issued.
 */
const jose = require('jose');

exports.onExecuteCustomTokenExchange = async (event, api) => {
  const agent = event.transaction.actor_token_user;
  if (!agent) return api.access.deny('invalid_request', 'An actor ID token is required');
  let ticket;
  try {
    ({ payload: ticket } = await jose.jwtVerify(
      event.transaction.subject_token,
      new TextEncoder().encode(event.secrets.TICKET_SECRET),
      { issuer: 'urn:helpdesk', audience: 'urn:baton:delegation', algorithms: ['HS256'] },
    ));
  } catch (err) {
    return api.access.rejectInvalidSubjectToken(`Invalid ticket (${err.code || 'malformed'})`);
  }
  const roles = (agent.app_metadata && agent.app_metadata.roles) || [];
  if (!roles.includes('support') || ticket.agent !== agent.user_id) {
    return api.access.deny('unauthorized_actor', 'This agent may not act for this user');
  }
  api.authentication.setUserById(ticket.sub);
  api.authentication.setActor({
    sub: agent.user_id,
    sub_profile: 'human',
    role: 'support',
    ticket: String(ticket.jti || ''),
  });
};

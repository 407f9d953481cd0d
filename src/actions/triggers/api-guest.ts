/**
 * Guest-side source of the `api` object (spec sections 6 and 7.1), evaluated inside the sandbox by the prelude.
 * Each method validates its arguments, then records an ActionCommand through the host; a broken rule is reported
 * to the host (the run ends as `invalid_command`, naming the rule of commands.ts RULES) and thrown in the guest.
 * Methods return the root `api` so calls chain, as in Auth0's other triggers (spec 6.1).
 * Object arguments are copied (captured JSON intrinsics) before they are checked, so a getter cannot show the
 * check one value and the recorder another; the host re-checks each command (commands.ts checkCommand).
 */
import { MAX_REASON_CHARS } from './limits.js';

export const API_GUEST_SOURCE = String.raw`function (hostCall) {
// Reasons are cut here, so a long one does not cross to the host (which cuts them again: limits.ts).
const strSlice = Function.prototype.call.bind(String.prototype.slice);
const reasonOf = (r) => r.length > ${MAX_REASON_CHARS} ? strSlice(r, 0, ${MAX_REASON_CHARS}) : r;
const isObj = (v) => v !== null && typeof v === 'object' && !isArray(v);
const isStr = (v, max) => typeof v === 'string' && v.length > 0 && (max === undefined || v.length <= max);
const SCALAR = (v) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && isFinite(v));
function fail(command, rule, message) {
  hostCall('violation', stringify({ command, rule, message }));
  throw new Error('api.' + command + ': ' + message + ' [' + rule + ']');
}
function copy(v) { if (v === undefined || typeof v === 'function') return v; try { return parse(stringify(v)); } catch { return v; } }
function record(name, args) { const r = parse(hostCall('command', stringify({ name, args }))); if (r.e) throw new Error(r.e.message); }
function jsonValue(v) {
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') return false;
  try { return stringify(v) !== undefined; } catch { return false; }
}
const ATTRS = { user_id: 'string', email: 'string', email_verified: 'boolean', username: 'string', phone_number: 'string', phone_verified: 'boolean', name: 'string', given_name: 'string', family_name: 'string', nickname: 'string', picture: 'string', verify_email: 'boolean' };

function checkActor(a, depth) {
  if (!isObj(a)) return 'actor must be an object';
  if (typeof a.sub !== 'string' || a.sub.length === 0) return 'actor.sub is required and must be a non-empty string' + (depth ? ' (at act level ' + depth + ')' : '');
  const custom = keysOf(a).filter((k) => k !== 'sub' && k !== 'act');
  if (custom.length > 5) return 'at most 5 custom properties per actor level (found ' + custom.length + ')';
  for (const k of custom) if (!SCALAR(a[k])) return 'custom actor property "' + k + '" must be a string, number or boolean';
  if (a.act !== undefined) {
    if (depth + 1 >= 5) return 'at most 5 actors: the root actor and 4 nested act levels';
    return checkActor(a.act, depth + 1);
  }
  return null;
}
function metadata(name, api) {
  return function (key, value) {
    if (!isStr(key)) fail(name, 'user.metadata', 'key must be a non-empty string');
    if (value !== null && !jsonValue(value)) fail(name, 'user.metadata', 'value must be a JSON value (null deletes the key)');
    if (value !== null && stringify(value).length > 32768) fail(name, 'user.metadata', 'value exceeds 32 kB');
    record(name, [key, value === null ? null : parse(stringify(value))]);
    return api;
  };
}
const cache = {
  get(key) { const r = parse(hostCall('cache.get', stringify({ key }))); return r.v === null ? undefined : r.v; },
  set(key, value, options) { return parse(hostCall('cache.set', stringify({ key, value, options }))).v; },
  delete(key) { return parse(hostCall('cache.delete', stringify({ key }))).v; },
};

function customTokenExchange() {
  let userSet = null;
  const api = {};
  function claimUser(name) { if (userSet) fail(name, 'exactly-one-user', 'a user was already set with ' + userSet + '(); call exactly one of setUserById() or setUserByConnection(), once'); userSet = name.split('.')[1]; }
  api.authentication = ({
    setUserById(user_id) {
      if (!isStr(user_id, 1024)) fail('authentication.setUserById', 'setUserById.user_id', 'user_id must be a non-empty string of at most 1024 characters');
      claimUser('authentication.setUserById');
      record('authentication.setUserById', [user_id]);
      return api;
    },
    setUserByConnection(connection_name, user_attributes, options) {
      const c = 'authentication.setUserByConnection';
      user_attributes = copy(user_attributes);
      options = copy(options);
      if (!isStr(connection_name, 512)) fail(c, 'setUserByConnection.connection_name', 'connection_name must be a non-empty string of at most 512 characters');
      if (!isObj(user_attributes)) fail(c, 'setUserByConnection.user_attributes', 'user_attributes must be an object');
      const keys = keysOf(user_attributes);
      if (keys.length > 24) fail(c, 'setUserByConnection.user_attributes', 'user_attributes may have at most 24 properties');
      for (const k of keys) {
        if (!ATTRS[k]) fail(c, 'setUserByConnection.user_attributes', 'unknown user attribute "' + k + '" (metadata is set with api.user.setAppMetadata/setUserMetadata)');
        if (user_attributes[k] !== undefined && typeof user_attributes[k] !== ATTRS[k]) fail(c, 'setUserByConnection.user_attributes', 'user attribute "' + k + '" must be a ' + ATTRS[k]);
      }
      if (!isStr(user_attributes.user_id)) fail(c, 'setUserByConnection.user_attributes', 'user_attributes.user_id is required and must be a non-empty string');
      if (user_attributes.phone_number !== undefined && !/^\+[1-9][0-9]{1,14}$/.test(user_attributes.phone_number)) fail(c, 'setUserByConnection.user_attributes', 'phone_number must be in E.164 format');
      if (user_attributes.picture !== undefined && !URL.canParse(user_attributes.picture)) fail(c, 'setUserByConnection.user_attributes', 'picture must be a URI');
      if (!isObj(options)) fail(c, 'setUserByConnection.options', "options must be an object with creationBehavior and updateBehavior");
      if (options.creationBehavior !== 'create_if_not_exists' && options.creationBehavior !== 'none') fail(c, 'setUserByConnection.options', "options.creationBehavior must be 'create_if_not_exists' or 'none'");
      if (options.updateBehavior !== 'replace' && options.updateBehavior !== 'none') fail(c, 'setUserByConnection.options', "options.updateBehavior must be 'replace' or 'none'");
      claimUser(c);
      const attrs = {};
      for (const k of keys) if (user_attributes[k] !== undefined) attrs[k] = user_attributes[k];
      record(c, [connection_name, attrs, { creationBehavior: options.creationBehavior, updateBehavior: options.updateBehavior }]);
      return api;
    },
    setOrganization(org) {
      if (!isStr(org, 256)) fail('authentication.setOrganization', 'setOrganization.organization', 'organization must be a non-empty organization id or name');
      record('authentication.setOrganization', [org]);
      return api;
    },
    setActor(actor) {
      actor = copy(actor);
      const problem = checkActor(actor, 0);
      if (problem) fail('authentication.setActor', 'setActor.shape', problem);
      record('authentication.setActor', [parse(stringify(actor))]);
      return api;
    },
  });
  api.access = ({
    deny(code, reason) {
      if (!isStr(code, 256)) fail('access.deny', 'access.deny.arguments', 'code must be a non-empty string');
      if (typeof reason !== 'string') fail('access.deny', 'access.deny.arguments', 'reason must be a string');
      record('access.deny', [code, reasonOf(reason)]);
      return api;
    },
    rejectInvalidSubjectToken(reason) {
      if (typeof reason !== 'string') fail('access.rejectInvalidSubjectToken', 'access.rejectInvalidSubjectToken.reason', 'reason must be a string');
      record('access.rejectInvalidSubjectToken', [reasonOf(reason)]);
      return api;
    },
  });
  api.user = { setAppMetadata: metadata('user.setAppMetadata', api), setUserMetadata: metadata('user.setUserMetadata', api) };
  api.cache = cache;
  return api;
}

function postLogin() {
  const api = {};
  const claim = (name) => function (key, value) {
    if (!isStr(key)) fail(name, 'setCustomClaim.arguments', 'claim name must be a non-empty string');
    if (!jsonValue(value)) fail(name, 'setCustomClaim.arguments', 'claim value must be a JSON value');
    record(name, [key, parse(stringify(value))]);
    return api;
  };
  const scope = (name) => function (s) {
    if (!isStr(s) || /\s/.test(s)) fail(name, 'scope.arguments', 'scope must be one non-empty scope name without spaces');
    record(name, [s]);
    return api;
  };
  const factor = (name, many) => function (f, options) {
    const list = many ? f : [f];
    if (!isArray(list) || list.length === 0 || !list.every((x) => isObj(x) && isStr(x.type))) fail(name, 'authentication.factor', many ? 'factors must be a non-empty array of {type}' : 'factor must be an object with a type');
    record(name, options === undefined ? [parse(stringify(f))] : [parse(stringify(f)), parse(stringify(options))]);
    return api;
  };
  api.accessToken = ({ setCustomClaim: claim('accessToken.setCustomClaim'), addScope: scope('accessToken.addScope'), removeScope: scope('accessToken.removeScope') });
  api.idToken = ({ setCustomClaim: claim('idToken.setCustomClaim') });
  api.access = ({
    deny(reason) {
      if (typeof reason !== 'string') fail('access.deny', 'access.deny.arguments', 'reason must be a string');
      record('access.deny', [reasonOf(reason)]);
      return api;
    },
  });
  api.multifactor = ({
    enable(provider, options) {
      if (!isStr(provider)) fail('multifactor.enable', 'multifactor.enable.arguments', 'provider must be a non-empty string');
      if (options !== undefined && !isObj(options)) fail('multifactor.enable', 'multifactor.enable.arguments', 'options must be an object');
      record('multifactor.enable', options === undefined ? [provider] : [provider, parse(stringify(options))]);
      return api;
    },
  });
  api.authentication = ({
    challengeWith: factor('authentication.challengeWith', false),
    challengeWithAny: factor('authentication.challengeWithAny', true),
    enrollWith: factor('authentication.enrollWith', false),
    enrollWithAny: factor('authentication.enrollWithAny', true),
  });
  api.redirect = ({
    sendUserTo(url, options) {
      if (!isStr(url)) fail('redirect.sendUserTo', 'redirect.sendUserTo.arguments', 'url must be a non-empty string');
      record('redirect.sendUserTo', [url]);
      return api;
    },
  });
  api.user = { setAppMetadata: metadata('user.setAppMetadata', api), setUserMetadata: metadata('user.setUserMetadata', api) };
  api.cache = cache;
  return api;
}

return function makeApi(trigger) { return trigger === 'post-login' ? postLogin() : customTokenExchange(); };
}`;

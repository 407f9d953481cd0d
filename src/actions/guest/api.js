/**
 * The guest side of the `api` object (spec sections 6 and 7.1). Which commands each trigger's `api` has, the rule
 * ids and the limits come from the shared tables (src/actions/triggers/tables.ts, passed in as `tables`); this file
 * holds each command's argument checks. A broken rule is reported to the host (the run ends as `invalid_command`,
 * naming the rule) and thrown in the guest. Methods return the root `api` so calls chain, as in Auth0's other
 * triggers (spec 6.1). Object arguments are copied (captured JSON intrinsics) before they are checked, so a getter
 * cannot show the check one value and the recorder another; the host re-checks each command (commands.ts
 * checkCommand). Called once by prelude.js; `makeApi(trigger)` once per run.
 */
'use strict';
(function api({ hostCall, tables, URL }) {
  const stringify = JSON.stringify,
    parse = JSON.parse,
    keysOf = Object.keys,
    isArray = Array.isArray,
    isFinite = Number.isFinite;
  const R = tables.rules;
  const ATTRS = tables.userAttributes;
  const ACTOR = tables.actor;
  const LIMIT = tables.arguments;

  // Reasons are cut here, so a long one does not cross to the host (which cuts them again: limits.ts).
  const strSlice = Function.prototype.call.bind(String.prototype.slice);
  const reasonOf = (r) => (r.length > tables.maxReasonChars ? strSlice(r, 0, tables.maxReasonChars) : r);
  const isObj = (v) => v !== null && typeof v === 'object' && !isArray(v);
  const isStr = (v, max) => typeof v === 'string' && v.length > 0 && (max === undefined || v.length <= max);
  const SCALAR = (v) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && isFinite(v));
  function fail(command, rule, message) {
    hostCall('violation', stringify({ command, rule, message }));
    throw new Error('api.' + command + ': ' + message + ' [' + rule + ']');
  }
  function copy(v) {
    if (v === undefined || typeof v === 'function') return v;
    try {
      return parse(stringify(v));
    } catch {
      return v;
    }
  }
  function record(name, args) {
    const r = parse(hostCall('command', stringify({ name, args })));
    if (r.e) throw new Error(r.e.message);
  }
  function jsonValue(v) {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') return false;
    try {
      return stringify(v) !== undefined;
    } catch {
      return false;
    }
  }
  const atMost = (n) => ' of at most ' + n + ' characters';

  function checkActor(a, depth) {
    if (!isObj(a)) return 'actor must be an object';
    if (typeof a.sub !== 'string' || a.sub.length === 0)
      return 'actor.sub is required and must be a non-empty string' + (depth ? ' (at act level ' + depth + ')' : '');
    const custom = keysOf(a).filter((k) => k !== 'sub' && k !== 'act');
    if (custom.length > ACTOR.customProperties)
      return 'at most ' + ACTOR.customProperties + ' custom properties per actor level (found ' + custom.length + ')';
    for (const k of custom)
      if (!SCALAR(a[k])) return 'custom actor property "' + k + '" must be a string, number or boolean';
    if (a.act !== undefined) {
      if (depth + 1 >= ACTOR.levels)
        return 'at most ' + ACTOR.levels + ' actors: the root actor and ' + (ACTOR.levels - 1) + ' nested act levels';
      return checkActor(a.act, depth + 1);
    }
    return null;
  }
  function metadata(name, run, key, value) {
    if (!isStr(key)) fail(name, R.metadata, 'key must be a non-empty string');
    if (value !== null && !jsonValue(value))
      fail(name, R.metadata, 'value must be a JSON value (null deletes the key)');
    if (value !== null && stringify(value).length > tables.maxMetadataBytes)
      fail(name, R.metadata, 'value exceeds ' + tables.maxMetadataBytes / 1024 + ' kB');
    record(name, [key, value === null ? null : parse(stringify(value))]);
  }
  const cache = {
    get(key) {
      const r = parse(hostCall('cache.get', stringify({ key })));
      return r.v === null ? undefined : r.v;
    },
    set(key, value, options) {
      return parse(hostCall('cache.set', stringify({ key, value, options }))).v;
    },
    delete(key) {
      return parse(hostCall('cache.delete', stringify({ key }))).v;
    },
  };

  // Each command's checks: `(name, run, ...args)`, where `run` is the run's own state (which user was set).
  function claimUser(run, name) {
    if (run.userSet)
      fail(
        name,
        R.exactlyOneUser,
        'a user was already set with ' +
          run.userSet +
          '(); call exactly one of setUserById() or setUserByConnection(), once',
      );
    run.userSet = name.split('.')[1];
  }
  const customTokenExchange = {
    'authentication.setUserById'(name, run, user_id) {
      if (!isStr(user_id, LIMIT.userIdChars))
        fail(name, R.userId, 'user_id must be a non-empty string' + atMost(LIMIT.userIdChars));
      claimUser(run, name);
      record(name, [user_id]);
    },
    'authentication.setUserByConnection'(c, run, connection_name, user_attributes, options) {
      user_attributes = copy(user_attributes);
      options = copy(options);
      const U = R.userAttributes;
      if (!isStr(connection_name, LIMIT.connectionNameChars))
        fail(c, R.connectionName, 'connection_name must be a non-empty string' + atMost(LIMIT.connectionNameChars));
      if (!isObj(user_attributes)) fail(c, U, 'user_attributes must be an object');
      const keys = keysOf(user_attributes);
      if (keys.length > LIMIT.userAttributes)
        fail(c, U, 'user_attributes may have at most ' + LIMIT.userAttributes + ' properties');
      for (const k of keys) {
        if (!ATTRS[k])
          fail(
            c,
            U,
            'unknown user attribute "' + k + '" (metadata is set with api.user.setAppMetadata/setUserMetadata)',
          );
        if (user_attributes[k] !== undefined && typeof user_attributes[k] !== ATTRS[k])
          fail(c, U, 'user attribute "' + k + '" must be a ' + ATTRS[k]);
      }
      if (!isStr(user_attributes.user_id))
        fail(c, U, 'user_attributes.user_id is required and must be a non-empty string');
      if (user_attributes.phone_number !== undefined && !/^\+[1-9][0-9]{1,14}$/.test(user_attributes.phone_number))
        fail(c, U, 'phone_number must be in E.164 format');
      if (user_attributes.picture !== undefined && !URL.canParse(user_attributes.picture))
        fail(c, U, 'picture must be a URI');
      const OPT = R.connectionOptions;
      if (!isObj(options)) fail(c, OPT, 'options must be an object with creationBehavior and updateBehavior');
      if (options.creationBehavior !== 'create_if_not_exists' && options.creationBehavior !== 'none')
        fail(c, OPT, "options.creationBehavior must be 'create_if_not_exists' or 'none'");
      if (options.updateBehavior !== 'replace' && options.updateBehavior !== 'none')
        fail(c, OPT, "options.updateBehavior must be 'replace' or 'none'");
      claimUser(run, c);
      const attrs = {};
      for (const k of keys) if (user_attributes[k] !== undefined) attrs[k] = user_attributes[k];
      record(c, [
        connection_name,
        attrs,
        { creationBehavior: options.creationBehavior, updateBehavior: options.updateBehavior },
      ]);
    },
    'authentication.setOrganization'(name, run, org) {
      if (!isStr(org, LIMIT.organizationChars))
        fail(name, R.organization, 'organization must be a non-empty organization id or name');
      record(name, [org]);
    },
    'authentication.setActor'(name, run, actor) {
      actor = copy(actor);
      const problem = checkActor(actor, 0);
      if (problem) fail(name, R.actorShape, problem);
      record(name, [parse(stringify(actor))]);
    },
    'access.deny'(name, run, code, reason) {
      if (!isStr(code, LIMIT.denyCodeChars)) fail(name, R.denyArgs, 'code must be a non-empty string');
      if (typeof reason !== 'string') fail(name, R.denyArgs, 'reason must be a string');
      record(name, [code, reasonOf(reason)]);
    },
    'access.rejectInvalidSubjectToken'(name, run, reason) {
      if (typeof reason !== 'string') fail(name, R.rejectArgs, 'reason must be a string');
      record(name, [reasonOf(reason)]);
    },
    'user.setAppMetadata': metadata,
    'user.setUserMetadata': metadata,
  };

  function claim(name, run, key, value) {
    if (!isStr(key)) fail(name, R.customClaim, 'claim name must be a non-empty string');
    if (!jsonValue(value)) fail(name, R.customClaim, 'claim value must be a JSON value');
    record(name, [key, parse(stringify(value))]);
  }
  function scope(name, run, s) {
    if (!isStr(s) || /\s/.test(s)) fail(name, R.scope, 'scope must be one non-empty scope name without spaces');
    record(name, [s]);
  }
  const factor = (many) =>
    function (name, run, f, options) {
      const list = many ? f : [f];
      if (!isArray(list) || list.length === 0 || !list.every((x) => isObj(x) && isStr(x.type))) {
        fail(
          name,
          R.factor,
          many ? 'factors must be a non-empty array of {type}' : 'factor must be an object with a type',
        );
      }
      record(name, options === undefined ? [parse(stringify(f))] : [parse(stringify(f)), parse(stringify(options))]);
    };
  const postLogin = {
    'accessToken.setCustomClaim': claim,
    'accessToken.addScope': scope,
    'accessToken.removeScope': scope,
    'idToken.setCustomClaim': claim,
    'access.deny'(name, run, reason) {
      if (typeof reason !== 'string') fail(name, R.denyArgs, 'reason must be a string');
      record(name, [reasonOf(reason)]);
    },
    'multifactor.enable'(name, run, provider, options) {
      if (!isStr(provider)) fail(name, R.multifactor, 'provider must be a non-empty string');
      if (options !== undefined && !isObj(options)) fail(name, R.multifactor, 'options must be an object');
      record(name, options === undefined ? [provider] : [provider, parse(stringify(options))]);
    },
    'authentication.challengeWith': factor(false),
    'authentication.challengeWithAny': factor(true),
    'authentication.enrollWith': factor(false),
    'authentication.enrollWithAny': factor(true),
    'redirect.sendUserTo'(name, run, url) {
      if (!isStr(url)) fail(name, R.redirect, 'url must be a non-empty string');
      record(name, [url]);
    },
    'user.setAppMetadata': metadata,
    'user.setUserMetadata': metadata,
  };

  // The api of each trigger is its table of commands, no more, no less: a command without checks here, or checks
  // for a command the table does not list, stops the prelude (every sandbox context) from loading.
  const checks = { 'custom-token-exchange': customTokenExchange, 'post-login': postLogin };
  const layouts = {};
  for (const trigger of keysOf(tables.commands)) {
    const names = tables.commands[trigger];
    const own = checks[trigger] || {};
    for (const name of keysOf(own))
      if (!names.includes(name)) throw new Error('api.js: ' + trigger + ' has no command ' + name + ' in the tables');
    const groups = [];
    const methods = names.map((name) => {
      if (typeof own[name] !== 'function') throw new Error('api.js: no checks for the ' + trigger + ' command ' + name);
      const dot = name.indexOf('.');
      const group = name.slice(0, dot);
      if (!groups.includes(group)) groups.push(group);
      return { group, method: name.slice(dot + 1), name, check: own[name] };
    });
    layouts[trigger] = { groups, methods };
  }

  /** A fresh `api` for one run of `trigger` (post-login, or else custom-token-exchange). */
  return function makeApi(trigger) {
    const { groups, methods } = layouts[trigger === 'post-login' ? 'post-login' : 'custom-token-exchange'];
    const api = {};
    const run = { userSet: null };
    for (let i = 0; i < groups.length; i++) api[groups[i]] = {};
    for (let i = 0; i < methods.length; i++) {
      const { group, method, name, check } = methods[i];
      api[group][method] = function (a, b, c) {
        check(name, run, a, b, c);
        return api;
      };
    }
    api.cache = cache;
    return api;
  };
});

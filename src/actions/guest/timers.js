/**
 * The guest's timers, as Node's: `setTimeout`/`clearTimeout`, `setInterval`/`clearInterval`,
 * `setImmediate`/`clearImmediate`, each returning a `Timeout` (or `Immediate`) object with `ref`/`unref`/`hasRef`
 * and a numeric primitive value (`+t`, as Node's). The host sleeps: each live timer holds one place of the run's
 * timer cap (an interval one place for all its repeats), and every timer is cleared when the run ends (issue 10
 * H4; runtime/egress-run.ts). The wall-clock limit covers the time they wait. Called once by prelude.js.
 */
'use strict';
(function timers({ call, callAsync }) {
  const MAX_DELAY = 2147483647;
  /** Live timers of the current run: id -> its Timeout. */
  const live = new Map();
  let seq = 0;

  /** Node: a delay that is not a number in 1..2^31-1 becomes 1. */
  const delayOf = (ms) => {
    const n = Number(ms);
    return n >= 1 && n <= MAX_DELAY ? n : 1;
  };

  /** Each timer's id and kind, kept off the object. */
  const info = new WeakMap();
  class Timeout {
    constructor(id, repeat) {
      info.set(this, { id, repeat, ref: true });
    }
    // Reference state is recorded only: a sandbox run ends with its handler, whatever its timers.
    ref() {
      info.get(this).ref = true;
      return this;
    }
    unref() {
      info.get(this).ref = false;
      return this;
    }
    hasRef() {
      return info.get(this).ref;
    }
    [Symbol.toPrimitive]() {
      return info.get(this).id;
    }
  }
  class Immediate extends Timeout {}

  /** Arms timer `t` on the host (throws at the run's cap) and runs `fn` each time its sleep ends. */
  function arm(t, fn, args, ms) {
    if (typeof fn !== 'function') {
      const e = /** @type {TypeError & {code?: string}} */ (
        new TypeError('The "callback" argument must be of type function. Received ' + typeof fn)
      );
      e.code = 'ERR_INVALID_ARG_TYPE';
      throw e;
    }
    const { id, repeat } = info.get(t);
    call('timer.arm', id);
    live.set(id, t);
    const wait = () =>
      callAsync('sleep', { id, ms, repeat }).then(
        () => {
          if (live.get(id) !== t) return;
          if (!repeat) live.delete(id);
          else wait();
          fn(...args);
        },
        () => {
          live.delete(id);
        },
      );
    wait();
    return t;
  }
  function clear(t) {
    const id = t instanceof Timeout ? info.get(t).id : Number(t);
    if (live.delete(id)) call('timer.clear', id);
  }

  return {
    setTimeout: (fn, ms, ...args) => arm(new Timeout(++seq, false), fn, args, delayOf(ms)),
    setInterval: (fn, ms, ...args) => arm(new Timeout(++seq, true), fn, args, delayOf(ms)),
    setImmediate: (fn, ...args) => arm(new Immediate(++seq, false), fn, args, 0),
    clearTimeout: clear,
    clearInterval: clear,
    clearImmediate: clear,
    /** At the start of a run: the previous run's timers were cleared on the host when it ended. */
    clearTimers() {
      live.clear();
    },
  };
});

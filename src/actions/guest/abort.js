/**
 * The WHATWG DOM pieces Node exposes as globals and Actions use to cancel work: `DOMException`, `Event`,
 * `EventTarget`, `AbortController` and `AbortSignal` (with `AbortSignal.abort`, `.timeout` and `.any`), as Node 18
 * and 22 behave (https://dom.spec.whatwg.org/#aborting-ongoing-activities). `AbortSignal.timeout` is a guest timer,
 * so it holds a place of the run's timer cap until it fires. Pure guest code. Called once by prelude.js.
 */
'use strict';
(function abort({ setTimeout }) {
  const O = Object;

  // WebIDL's legacy codes of the names Node uses (https://webidl.spec.whatwg.org/#dfn-error-names-table).
  const CODES = {
    IndexSizeError: 1,
    NotFoundError: 8,
    NotSupportedError: 9,
    InvalidStateError: 11,
    SyntaxError: 12,
    InvalidAccessError: 15,
    TimeoutError: 23,
    DataCloneError: 25,
    AbortError: 20,
    InvalidCharacterError: 5,
    QuotaExceededError: 22,
  };
  class DOMException extends Error {
    constructor(message, options) {
      super(message === undefined ? '' : String(message));
      const name = options && typeof options === 'object' ? options.name : options;
      O.defineProperty(this, 'name', { value: name === undefined ? 'Error' : String(name), configurable: true });
      if (options && typeof options === 'object' && 'cause' in options) this.cause = options.cause;
    }
    get code() {
      return CODES[this.name] || 0;
    }
  }
  for (const [name, code] of O.entries(CODES)) {
    const constant = name
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toUpperCase()
      .replace('_ERROR', '_ERR');
    O.defineProperty(DOMException, constant, { value: code, enumerable: true });
  }

  class Event {
    constructor(type, init) {
      if (arguments.length === 0) throw new TypeError('The "type" argument must be specified');
      this.type = String(type);
      this.bubbles = !!(init && init.bubbles);
      this.cancelable = !!(init && init.cancelable);
      this.composed = !!(init && init.composed);
      this.defaultPrevented = false;
      this.isTrusted = false;
      this.timeStamp = Date.now();
      this.target = null;
      this.currentTarget = null;
      O.defineProperty(this, '_stop', { value: false, writable: true });
    }
    preventDefault() {
      if (this.cancelable) this.defaultPrevented = true;
    }
    stopPropagation() {}
    stopImmediatePropagation() {
      this._stop = true;
    }
  }

  const listenersOf = new WeakMap();
  class EventTarget {
    constructor() {
      listenersOf.set(this, new Map());
    }
    addEventListener(type, listener, options) {
      if (listener === null || listener === undefined) return;
      const once = !!(options && typeof options === 'object' && options.once);
      const signal = options && typeof options === 'object' ? options.signal : undefined;
      if (signal && signal.aborted) return;
      const map = listenersOf.get(this);
      const list = map.get(String(type)) || [];
      if (list.some((l) => l.listener === listener)) return;
      list.push({ listener, once });
      map.set(String(type), list);
      if (signal) signal.addEventListener('abort', () => this.removeEventListener(type, listener), { once: true });
    }
    removeEventListener(type, listener) {
      const map = listenersOf.get(this);
      const list = map.get(String(type));
      if (list)
        map.set(
          String(type),
          list.filter((l) => l.listener !== listener),
        );
    }
    dispatchEvent(event) {
      if (!(event instanceof Event)) throw new TypeError('The "event" argument must be an instance of Event');
      event.target = this;
      event.currentTarget = this;
      const list = (listenersOf.get(this).get(event.type) || []).slice();
      for (const l of list) {
        if (l.once) this.removeEventListener(event.type, l.listener);
        if (typeof l.listener === 'function') l.listener.call(this, event);
        else if (l.listener && typeof l.listener.handleEvent === 'function') l.listener.handleEvent(event);
        if (event._stop) break;
      }
      event.currentTarget = null;
      return !event.defaultPrevented;
    }
  }

  const making = Symbol('AbortSignal');
  /** Each signal's state, kept off the object (Node's signals have no own enumerable properties). */
  const stateOf = new WeakMap();
  const controllerSignal = new WeakMap();
  const abortedReason = () => new DOMException('This operation was aborted', 'AbortError');
  class AbortSignal extends EventTarget {
    constructor(key) {
      if (key !== making) throw new TypeError('Illegal constructor');
      super();
      stateOf.set(this, { aborted: false, reason: undefined, onabort: null, handlerAdded: false });
    }
    // An event handler attribute: it runs in the place of its first assignment among the listeners, as in Node.
    get onabort() {
      return stateOf.get(this).onabort;
    }
    set onabort(fn) {
      const st = stateOf.get(this);
      st.onabort = typeof fn === 'function' ? fn : null;
      if (st.handlerAdded) return;
      st.handlerAdded = true;
      this.addEventListener('abort', (e) => {
        if (st.onabort) st.onabort.call(this, e);
      });
    }
    get aborted() {
      return stateOf.get(this).aborted;
    }
    get reason() {
      return stateOf.get(this).reason;
    }
    throwIfAborted() {
      const st = stateOf.get(this);
      if (st.aborted) throw st.reason;
    }
    static abort(reason) {
      const s = new AbortSignal(making);
      const st = stateOf.get(s);
      st.aborted = true;
      st.reason = reason === undefined ? abortedReason() : reason;
      return s;
    }
    static timeout(ms) {
      const s = new AbortSignal(making);
      setTimeout(() => fire(s, new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
      return s;
    }
    static any(signals) {
      const s = new AbortSignal(making);
      const list = [...signals];
      const done = list.find((x) => x.aborted);
      if (done) {
        stateOf.get(s).aborted = true;
        stateOf.get(s).reason = done.reason;
        return s;
      }
      for (const x of list) x.addEventListener('abort', () => fire(s, x.reason), { once: true });
      return s;
    }
  }
  function fire(signal, reason) {
    const st = stateOf.get(signal);
    if (st.aborted) return;
    st.aborted = true;
    st.reason = reason === undefined ? abortedReason() : reason;
    signal.dispatchEvent(new Event('abort'));
  }
  class AbortController {
    constructor() {
      controllerSignal.set(this, new AbortSignal(making));
    }
    get signal() {
      return controllerSignal.get(this);
    }
    abort(reason) {
      fire(controllerSignal.get(this), reason);
    }
  }

  return { DOMException, Event, EventTarget, AbortController, AbortSignal };
});

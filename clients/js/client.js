// pubsub-client: the JavaScript client of pubsubd (docs: clients/js/README.md,
// wire contract: the server's README, "WebSocket API").
//
// One dependency-free ES module for browsers and Node.js 20+. It speaks the
// WebSocket protocol of /ws: requests carry request_ids and their answers
// settle promises; subscriptions remember the (epoch, seq) of the last event
// handed to the application and, after every reconnect, subscribe again with
// since_seq and epoch, so that the stream goes on without loss or repeat
// while the server's history covers the outage, and says 'gap' when it does
// not. Everything runs on the caller's event loop; nothing here is shared
// between clients except the lazily imported `ws` module.
//
// The server serves this file, byte for byte, at GET /client.js.

const DEFAULTS = {
  reconnect: { minDelayMs: 100, maxDelayMs: 5000 },
  pingIntervalMs: 20000,
  pongTimeoutMs: 10000,
  requestTimeoutMs: 10000,
  connectTimeoutMs: 10000,
};

// Close codes of our own (4000-4999 are the application's).
const CLOSE_DEAD = 4000; // no answer to our ping
const CLOSE_RETRY = 4001; // a re-subscribe met a transient server error

// WebSocket readyState values (same in browsers, undici and ws).
const WS_OPEN = 1;

/** An error of a request, of the connection or of the server. */
export class PubSubError extends Error {
  // code: the server's error code (TOPIC_NOT_FOUND, FORBIDDEN, ...) or one of
  // the client's: TIMEOUT, DISCONNECTED, CLOSED, CONNECT_FAILED,
  // UNAUTHORIZED (upgrade refused, when the WebSocket implementation tells).
  constructor(code, message, requestId) {
    super(message || code);
    this.name = 'PubSubError';
    this.code = code;
    if (requestId !== undefined) this.requestId = requestId;
  }
}

// ---- small helpers ---------------------------------------------------------

// Calls fn(arg) and reports what it throws without letting it unwind into the
// client: a listener's bug must not break the connection's bookkeeping.
function callListener(fn, arg) {
  try {
    fn(arg);
  } catch (err) {
    if (typeof globalThis.reportError === 'function') globalThis.reportError(err);
    else queueMicrotask(() => { throw err; });
  }
}

// A minimal event emitter: on() returns the function that removes the listener.
class Emitter {
  #listeners = new Map();

  on(name, fn) {
    if (typeof fn !== 'function') throw new TypeError('listener must be a function');
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(fn);
    return () => this.off(name, fn);
  }

  off(name, fn) {
    this.#listeners.get(name)?.delete(fn);
  }

  // True when name has a listener.
  _has(name) {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  // Calls every listener of name with arg, in the order they were added.
  _emit(name, arg) {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const fn of [...set]) callListener(fn, arg);
  }
}

// A random UUID v4: crypto.randomUUID where the context allows it (secure
// contexts and Node), else built from crypto.getRandomValues.
function randomUUID() {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Returns the WebSocket URL for `url`: http(s) becomes ws(s), a URL with no
// path gets /ws, a relative URL is resolved against the page. Without a url,
// a page's own origin's /ws; elsewhere a TypeError.
function socketUrl(url) {
  const base = globalThis.location?.href;
  if (url === undefined || url === null || url === '') {
    if (!base) throw new TypeError('PubSubClient: option url is required outside a browser');
    url = '/ws';
  }
  const u = new URL(String(url), base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new TypeError(`PubSubClient: unsupported URL scheme ${u.protocol}`);
  }
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/ws';
  u.hash = '';
  return u;
}

let wsModule; // the promise of import('ws'), shared by every client

// Returns the WebSocket constructor to use: the option, else the global one,
// else the npm package `ws` (imported on first need, so browsers never do).
async function socketClass(option) {
  if (option) return option;
  if (typeof globalThis.WebSocket === 'function') return globalThis.WebSocket;
  wsModule ??= import(/* webpackIgnore: true */ /* @vite-ignore */ 'ws');
  try {
    const mod = await wsModule;
    return mod.WebSocket ?? mod.default;
  } catch (err) {
    wsModule = undefined;
    throw new PubSubError('CONNECT_FAILED',
      'no WebSocket implementation: this runtime has no global WebSocket and the npm package "ws" ' +
      `cannot be imported (npm install ws, or pass the option WebSocket): ${err?.message ?? err}`);
  }
}

// True for constructors that take headers (the npm package `ws` and its
// kin); browsers' WebSocket cannot, so credentials go in the query instead.
function takesHeaders(Ctor) {
  return typeof Ctor?.prototype?.terminate === 'function';
}

// Maps a failed upgrade to an error; `ws` says the HTTP status in its message.
function connectError(event) {
  const message = event?.error?.message ?? event?.message ?? '';
  const status = /Unexpected server response: (\d+)/.exec(message)?.[1];
  const codes = { 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 503: 'UNAVAILABLE' };
  if (status && codes[status]) return new PubSubError(codes[status], `upgrade refused with HTTP ${status}`);
  return new PubSubError('CONNECT_FAILED', message ? `cannot connect: ${message}` : 'cannot connect');
}

// The delay before reconnect attempt `attempt` (1, 2, ...): doubling from
// minDelayMs up to maxDelayMs, the upper half of it picked at random.
function backoff(attempt, { minDelayMs, maxDelayMs }) {
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

// ---- subscriptions ---------------------------------------------------------

// What the client holds per subscribed topic: its position in the topic and
// the application's handles on it (several subscribe() calls on one topic
// share one server subscription).
class TopicState {
  constructor(topic) {
    this.topic = topic;
    this.epoch = undefined;
    this.seq = 0; // the last seq handed on (or the ack's)
    this.handles = new Set();
    this.acked = false; // the first ack arrived
    this.ready = null; // promise of the first ack
  }

  // Hands (name, data) to every handle of the topic.
  deliver(name, data) {
    for (const h of this.handles) h._push(name, data);
  }
}

/** One subscribe() call's handle on a topic's stream. */
class Subscription extends Emitter {
  #client;
  #state;
  #held = []; // events queued until the application had a chance to listen
  #holding = true;
  #active = true;

  constructor(client, state) {
    super();
    this.#client = client;
    this.#state = state;
    this.topic = state.topic;
    this.recovered = undefined; // the first ack's recovered, when resuming
  }

  /** The epoch of the topic's life this subscription is in. */
  get epoch() {
    return this.#state.epoch;
  }

  /** The seq of the last event handed on (or the ack's seq before any). */
  get seq() {
    return this.#state.seq;
  }

  /** False once unsubscribed, deleted, ended by an error or by close(). */
  get active() {
    return this.#active;
  }

  /** Ends the subscription; resolves once the server acknowledged it. */
  unsubscribe() {
    return this.#client._unsubscribe(this, this.#state);
  }

  // Delivers an event, or holds it while the application may still be about
  // to add its listener: from the ack until the task after it, an event
  // nobody listens to yet (and every one behind it) waits.
  _push(name, data) {
    if (!this.#active && name !== 'deleted' && name !== 'error') return;
    if (this.#holding && (this.#held.length > 0 || !this._has(name))) this.#held.push([name, data]);
    else this._emit(name, data);
  }

  // Starts delivering: held events go out after the task in which the
  // subscribe() promise resolved, so that `await` then `sub.on(...)` sees them.
  _release() {
    setTimeout(() => {
      this.#holding = false;
      const held = this.#held;
      this.#held = [];
      for (const [name, data] of held) {
        if (this.#active || name === 'deleted' || name === 'error') this._emit(name, data);
      }
    }, 0);
  }

  _end() {
    this.#active = false;
  }
}

// ---- the client ------------------------------------------------------------

/** A connection to pubsubd that reconnects and resumes by itself. */
export class PubSubClient extends Emitter {
  #options;
  #url;
  #clientId;
  #state = 'closed';
  #socket = null; // the current WebSocket (any other is stale)
  #openedAt = 0;
  #attempt = 0; // reconnect attempts since the last lasting connection
  #reconnectTimer = null;
  #userClosed = true; // close() was called, or connect() never was
  #opening = null; // {promise, resolve, reject} of connect()
  #waiters = new Set(); // requests waiting for the connection
  #pending = new Map(); // request_id -> request in flight
  #nextId = 1;
  #topics = new Map(); // topic -> TopicState
  #lastRx = 0; // when the last frame arrived
  #pingTimer = null;
  #openTimer = null; // the deadline of the upgrade in progress
  #pingId = null; // request_id of the ping in flight
  #generation = 0; // bumped by every #open and close(): stale opens give up
  #timedOut = new Map(); // request_id -> topic of subscribes that timed out on this connection

  constructor(options = {}) {
    super();
    const reconnect = options.reconnect === false ? false : { ...DEFAULTS.reconnect, ...(options.reconnect ?? {}) };
    this.#options = {
      apiKey: options.apiKey,
      token: options.token,
      reconnect,
      pingIntervalMs: options.pingIntervalMs ?? DEFAULTS.pingIntervalMs,
      pongTimeoutMs: options.pongTimeoutMs ?? DEFAULTS.pongTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      WebSocket: options.WebSocket,
    };
    this.#url = socketUrl(options.url);
    this.#clientId = options.clientId || `js-${randomUUID().slice(0, 8)}`;
  }

  /** 'connecting' | 'open' | 'reconnecting' | 'closed'. */
  get state() {
    return this.#state;
  }

  /** The WebSocket URL, without credentials. */
  get url() {
    return this.#url.href;
  }

  /** The client_id sent with subscribe and unsubscribe. */
  get clientId() {
    return this.#clientId;
  }

  /**
   * Opens the connection unless it is open or opening. Resolves when it is
   * open; rejects with the error of the attempt that failed (the client keeps
   * trying in the background unless reconnect is false) or CLOSED.
   */
  connect() {
    if (this.#state === 'open') return Promise.resolve();
    if (!this.#opening) {
      let resolve, reject;
      const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
      promise.catch(() => {}); // lazy connects of requests do not await it
      this.#opening = { promise, resolve, reject };
    }
    const { promise } = this.#opening;
    if (this.#state === 'closed') {
      this.#userClosed = false;
      this.#attempt = 0;
      this.#setState({ state: 'connecting' });
      this.#open();
    }
    return promise;
  }

  /**
   * Subscribes to topic; resolves with the Subscription after the ack.
   * options: {lastN} or {sinceSeq, epoch} or {}. onEvent, if given, listens
   * to its 'event's.
   */
  async subscribe(topic, options = {}, onEvent) {
    if (typeof options === 'function') [options, onEvent] = [{}, options];
    let state = this.#topics.get(topic);
    if (!state) {
      state = new TopicState(topic);
      this.#topics.set(topic, state);
      state.ready = this.#firstSubscribe(state, options ?? {});
      state.ready.catch(() => {
        if (this.#topics.get(topic) === state) this.#topics.delete(topic);
      });
    }
    const handle = new Subscription(this, state);
    if (onEvent) handle.on('event', onEvent);
    state.handles.add(handle);
    try {
      handle.recovered = await state.ready;
    } catch (err) {
      state.handles.delete(handle);
      handle._end();
      throw err;
    }
    handle._release();
    return handle;
  }

  /**
   * Publishes payload (any JSON value) to topic; resolves with {seq, ts, id}
   * once the server acknowledged it. A publish cut off by a lost connection
   * rejects with DISCONNECTED and is never sent again by the client.
   */
  async publish(topic, payload, { id } = {}) {
    const messageId = id ?? randomUUID();
    const ack = await this.#request({ type: 'publish', topic, message: { id: messageId, payload } },
      { resend: false });
    return { seq: ack.seq, ts: ack.ts, id: messageId };
  }

  /**
   * Closes the connection with 1000 and stops reconnecting. Pending requests
   * reject with CLOSED and every subscription ends. Resolves once the socket
   * closed (or after a second).
   */
  close() {
    this.#userClosed = true;
    this.#generation += 1;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    const closed = new PubSubError('CLOSED', 'the client was closed');
    this.#failAll(closed, closed);
    if (this.#opening) {
      this.#opening.reject(closed);
      this.#opening = null;
    }
    for (const state of this.#topics.values()) for (const h of state.handles) h._end();
    this.#topics.clear();
    const socket = this.#socket;
    const wasClosed = this.#state === 'closed';
    this.#drop();
    if (!wasClosed) this.#setState({ state: 'closed' });
    if (!socket) {
      if (!wasClosed) this._emit('close', { code: 1000, reason: 'closed by the client', willReconnect: false });
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 1000);
      socket.addEventListener?.('close', () => { clearTimeout(timer); resolve(); });
      try {
        socket.close(1000, 'closed by the client');
      } catch {
        clearTimeout(timer);
        resolve();
      }
      this._emit('close', { code: 1000, reason: 'closed by the client', willReconnect: false });
    });
  }

  // ---- connection ----------------------------------------------------------

  #setState(event) {
    this.#state = event.state;
    this._emit('state', event);
  }

  // Opens a socket (one attempt). Handlers check that their socket is still
  // the current one: a replaced socket's late events are ignored.
  async #open() {
    const generation = ++this.#generation;
    let socket;
    try {
      const Ctor = await socketClass(this.#options.WebSocket);
      const url = new URL(this.#url.href);
      const headers = {};
      const byHeader = takesHeaders(Ctor);
      const token = typeof this.#options.token === 'function' ? await this.#options.token() : this.#options.token;
      if (generation !== this.#generation || this.#userClosed) return;
      if (this.#options.apiKey) {
        if (byHeader) headers['X-API-Key'] = this.#options.apiKey;
        else url.searchParams.set('api_key', this.#options.apiKey);
      }
      if (token) {
        if (byHeader) headers.Authorization = `Bearer ${token}`;
        else url.searchParams.set('token', token);
      }
      socket = byHeader ? new Ctor(url.href, [], { headers }) : new Ctor(url.href);
    } catch (err) {
      if (generation !== this.#generation || this.#userClosed) return;
      const error = err instanceof PubSubError ? err : new PubSubError('CONNECT_FAILED', `cannot connect: ${err?.message ?? err}`);
      this.#attemptFailed(error, 1006, '');
      return;
    }
    this.#socket = socket;
    // A server (or a balancer) that takes the connection but never answers
    // the upgrade: the attempt fails at the deadline, and the next one follows.
    const timeoutMs = this.#options.connectTimeoutMs;
    this.#openTimer = setTimeout(() => {
      this.#openTimer = null;
      if (this.#socket !== socket || this.#openedAt !== 0) return;
      this.#drop();
      try {
        if (typeof socket.terminate === 'function') socket.terminate();
        else socket.close();
      } catch {
        // not open
      }
      if (!this.#userClosed) {
        this.#attemptFailed(new PubSubError('CONNECT_FAILED', `no answer to the WebSocket upgrade within ${timeoutMs} ms`),
          1006, '');
      }
    }, timeoutMs);
    socket.onopen = () => {
      if (this.#socket === socket) this.#opened();
    };
    socket.onmessage = (event) => {
      if (this.#socket === socket) this.#received(event.data);
    };
    // An error before the open ends the attempt at once: some WebSockets
    // (Node 20's) never follow a refused upgrade with a close event.
    socket.onerror = (event) => {
      if (this.#socket !== socket || this.#openedAt !== 0) return;
      this.#drop();
      try {
        socket.close();
      } catch {
        // not open
      }
      if (!this.#userClosed) this.#attemptFailed(connectError(event), 1006, '');
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      const opened = this.#openedAt !== 0;
      const lived = this.#drop();
      if (this.#userClosed) return;
      if (opened) this.#lost(event.code, event.reason, lived);
      else this.#attemptFailed(new PubSubError('CONNECT_FAILED', 'cannot connect'), event.code, event.reason);
    };
  }

  // The socket opened: resubscribe, send what waited, then tell. Listeners
  // may call close() or connect(): after each event, a changed #generation
  // means that they did, and this one's work is over.
  #opened() {
    clearTimeout(this.#openTimer);
    this.#openTimer = null;
    this.#openedAt = Date.now();
    this.#lastRx = this.#openedAt;
    this.#state = 'open';
    this.#armPing();
    const opening = this.#opening;
    this.#opening = null;
    for (const state of this.#topics.values()) {
      if (state.acked) this.#resubscribe(state);
    }
    for (const send of [...this.#waiters]) send();
    const generation = this.#generation;
    this._emit('state', { state: 'open' });
    if (generation === this.#generation) this._emit('open', { url: this.url });
    opening?.resolve();
  }

  // Forgets the current socket (its late events are ignored from now on)
  // and returns how long it had been open (0: never).
  #drop() {
    const lived = this.#openedAt === 0 ? 0 : Date.now() - this.#openedAt;
    clearTimeout(this.#pingTimer);
    this.#pingTimer = null;
    clearTimeout(this.#openTimer);
    this.#openTimer = null;
    this.#pingId = null;
    this.#timedOut.clear();
    this.#socket = null;
    this.#openedAt = 0;
    return lived;
  }

  // An open connection ended after `lived` ms: requests in flight fail, then
  // reconnect. The delays start over after a connection that lasted.
  #lost(code, reason, lived) {
    const { reconnect } = this.#options;
    if (reconnect !== false && lived >= reconnect.maxDelayMs) this.#attempt = 0;
    this.#failAll(new PubSubError('DISCONNECTED', `the connection was lost (${code})`), null);
    if (reconnect === false) {
      this.#userClosed = true;
      this.#state = 'closed';
      this.#failWaiters(new PubSubError('DISCONNECTED', 'the connection was lost'));
    }
    const generation = this.#generation;
    this._emit('close', { code, reason: reason ?? '', willReconnect: reconnect !== false });
    if (generation !== this.#generation) return;
    if (reconnect !== false) this.#schedule();
    else this._emit('state', { state: 'closed' });
  }

  // An attempt to open failed before the socket opened.
  #attemptFailed(error, code, reason) {
    const { reconnect } = this.#options;
    const opening = this.#opening;
    this.#opening = null;
    if (reconnect === false) {
      this.#userClosed = true;
      this.#state = 'closed';
      this.#failWaiters(error);
    }
    const generation = this.#generation;
    this._emit('error', { error });
    opening?.reject(error);
    if (generation !== this.#generation) return;
    if (reconnect !== false) {
      this.#schedule();
      return;
    }
    this._emit('close', { code, reason: reason ?? '', willReconnect: false });
    if (generation === this.#generation) this._emit('state', { state: 'closed' });
  }

  #schedule() {
    this.#attempt += 1;
    const delayMs = backoff(this.#attempt, this.#options.reconnect);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (!this.#userClosed) this.#open();
    }, delayMs);
    this.#setState({ state: 'reconnecting', attempt: this.#attempt, delayMs });
  }

  // Kills the current connection and reconnects (dead or unusable socket).
  #abandon(code, reason) {
    const socket = this.#socket;
    if (!socket) return;
    const lived = this.#drop();
    try {
      if (typeof socket.terminate === 'function') socket.terminate();
      else socket.close(code, reason);
    } catch {
      // already closing
    }
    this.#lost(code, reason, lived);
  }

  // ---- liveness: our ping when nothing arrived for pingIntervalMs ----------

  #armPing() {
    clearTimeout(this.#pingTimer);
    const due = this.#pingId === null ? this.#options.pingIntervalMs : this.#options.pongTimeoutMs;
    const wait = Math.max(0, this.#lastRx + due - Date.now());
    this.#pingTimer = setTimeout(() => this.#pingTick(), wait);
  }

  #pingTick() {
    this.#pingTimer = null;
    if (!this.#socket) return;
    const quiet = Date.now() - this.#lastRx;
    if (this.#pingId !== null) {
      if (quiet >= this.#options.pongTimeoutMs) {
        this.#abandon(CLOSE_DEAD, 'no answer to ping');
        return;
      }
    } else if (quiet >= this.#options.pingIntervalMs) {
      this.#pingId = `p${this.#nextId++}`;
      this.#lastRx = Date.now(); // the pong deadline counts from now
      this.#send({ type: 'ping', request_id: this.#pingId });
    }
    this.#armPing();
  }

  // ---- requests ------------------------------------------------------------

  #send(frame) {
    try {
      this.#socket.send(JSON.stringify(frame));
    } catch {
      // closing: its close event fails what is in flight
    }
  }

  // Sends frame with a fresh request_id once the connection is open and
  // resolves with onAck(ack) (or the ack), onAck being called as the ack
  // arrives, before any later frame is handled. The deadline
  // (requestTimeoutMs) covers the wait for the connection. With resend, a
  // request cut off by a lost connection is sent again on the next one
  // (idempotent requests only); without, it rejects with DISCONNECTED.
  #request(frame, { resend, onAck = (ack) => ack, timeoutMs = this.#options.requestTimeoutMs }) {
    return new Promise((resolve, reject) => {
      const req = { frame, resolve, reject, resend, onAck, id: null, timer: null, waiter: null };
      req.timer = setTimeout(() => {
        if (frame.type === 'subscribe' && req.id !== null) this.#timedOut.set(req.id, frame.topic);
        this.#forget(req);
        reject(new PubSubError('TIMEOUT', `no answer to ${frame.type} within ${timeoutMs} ms`, req.id ?? undefined));
      }, timeoutMs);
      this.#dispatch(req);
    });
  }

  #dispatch(req) {
    if (this.#state === 'open' && this.#socket?.readyState === WS_OPEN) {
      req.id = `r${this.#nextId++}`;
      this.#pending.set(req.id, req);
      this.#send({ ...req.frame, request_id: req.id });
      return;
    }
    const waiter = () => {
      this.#waiters.delete(waiter);
      req.waiter = null;
      this.#dispatch(req);
    };
    waiter.fail = (error) => {
      this.#forget(req);
      req.reject(error);
    };
    req.waiter = waiter;
    this.#waiters.add(waiter);
    if (this.#state === 'closed') this.connect();
  }

  #forget(req) {
    clearTimeout(req.timer);
    if (req.id !== null) this.#pending.delete(req.id);
    if (req.waiter) this.#waiters.delete(req.waiter);
  }

  // Fails requests in flight with `inFlight` (those with resend go back to
  // waiting instead, unless `inFlight` is final) and, if `waiting` is given,
  // the requests waiting for a connection too.
  #failAll(inFlight, waiting) {
    const final = inFlight.code === 'CLOSED';
    for (const req of [...this.#pending.values()]) {
      const requestId = req.id;
      this.#pending.delete(requestId);
      req.id = null;
      if (req.resend && !final) {
        this.#dispatch(req);
      } else {
        this.#forget(req);
        req.reject(new PubSubError(inFlight.code, inFlight.message, requestId));
      }
    }
    if (waiting) this.#failWaiters(waiting);
  }

  #failWaiters(error) {
    for (const waiter of [...this.#waiters]) {
      this.#waiters.delete(waiter);
      waiter.fail?.(error);
    }
  }

  // ---- frames from the server ----------------------------------------------

  #received(data) {
    this.#lastRx = Date.now();
    let frame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
    } catch {
      this._emit('error', { error: new PubSubError('BAD_FRAME', 'the server sent a frame that is not JSON') });
      return;
    }
    switch (frame?.type) {
      case 'event': return this.#onEvent(frame);
      case 'ack': return this.#settle(frame, null);
      case 'error': return this.#onError(frame);
      case 'pong':
        if (frame.request_id === this.#pingId) {
          this.#pingId = null;
          this.#armPing();
        }
        return undefined;
      case 'info': return this.#onInfo(frame);
      default: return undefined;
    }
  }

  #onEvent(frame) {
    const state = this.#topics.get(frame.topic);
    if (!state || !state.acked || typeof frame.seq !== 'number') return;
    if (frame.seq <= state.seq) return; // replayed again after a resume
    state.seq = frame.seq;
    state.deliver('event', {
      topic: frame.topic,
      id: frame.message?.id,
      payload: frame.message?.payload,
      seq: frame.seq,
      ts: frame.ts,
    });
  }

  #onError(frame) {
    const { code, message } = frame.error ?? {};
    const error = new PubSubError(code ?? 'INTERNAL', message, frame.request_id);
    if (frame.request_id === undefined) {
      this._emit('error', { error });
      return;
    }
    this.#settle(frame, error);
  }

  #settle(frame, error) {
    const req = this.#pending.get(frame.request_id);
    if (!req) {
      this.#lateAnswer(frame);
      return;
    }
    this.#forget(req);
    if (error) {
      req.reject(error);
      return;
    }
    let value;
    try {
      value = req.onAck(frame);
    } catch (err) {
      req.reject(err);
      return;
    }
    req.resolve(value);
  }

  // A subscribe acknowledged after its promise timed out leaves the server
  // sending events nobody asked for: unsubscribe it (answer ignored).
  #lateAnswer(frame) {
    const topic = this.#timedOut.get(frame.request_id);
    if (topic === undefined) return;
    this.#timedOut.delete(frame.request_id);
    if (frame.type === 'ack' && !this.#topics.has(topic)) {
      this.#send({ type: 'unsubscribe', topic, client_id: this.#clientId, request_id: `u${this.#nextId++}` });
    }
  }

  #onInfo(frame) {
    if (frame.msg === 'ping') {
      this._emit('heartbeat', { ts: frame.ts });
      return;
    }
    const state = this.#topics.get(frame.topic);
    if (!state) return;
    if (frame.msg === 'dropped') {
      state.deliver('dropped', { topic: frame.topic, count: frame.dropped });
    } else if (frame.msg === 'topic_deleted') {
      this.#endTopic(state, 'deleted', { topic: frame.topic });
    }
  }

  // ---- subscriptions -------------------------------------------------------

  // The first subscribe of a topic; resolves with the ack's `recovered`.
  // The ack sets the topic's position before the replay behind it is read.
  #firstSubscribe(state, { lastN, sinceSeq, epoch }) {
    const frame = { type: 'subscribe', topic: state.topic, client_id: this.#clientId };
    if (lastN !== undefined) frame.last_n = lastN;
    if (sinceSeq !== undefined) frame.since_seq = sinceSeq;
    if (epoch !== undefined) frame.epoch = epoch;
    const onAck = (ack) => {
      state.epoch = ack.epoch;
      const head = ack.seq ?? 0;
      if (sinceSeq !== undefined) {
        // Replayed: seq > sinceSeq, unless the numbers are of another life.
        const sameLife = (epoch === undefined || epoch === ack.epoch) && sinceSeq <= head;
        state.seq = sameLife ? sinceSeq : head;
        if (ack.recovered === false) {
          state.deliver('gap', {
            topic: state.topic,
            reason: sameLife ? 'not_recovered' : 'epoch_changed',
            epoch: ack.epoch,
            lastSeq: sinceSeq,
            previousEpoch: epoch,
          });
        }
      } else {
        // Replayed: the newest lastN, all with seq > head - lastN.
        state.seq = Math.max(0, head - (lastN ?? 0));
      }
      state.acked = true;
      return ack.recovered;
    };
    return this.#request(frame, { resend: true, onAck });
  }

  // After a reconnect: subscribes again from the last event handed on. The
  // ack says 'resumed' (and 'gap' unless recovered) before the replay.
  async #resubscribe(state) {
    const sinceSeq = state.seq;
    const epoch = state.epoch;
    const frame = { type: 'subscribe', topic: state.topic, client_id: this.#clientId, since_seq: sinceSeq };
    if (epoch !== undefined) frame.epoch = epoch;
    const onAck = (ack) => {
      if (this.#topics.get(state.topic) !== state) return;
      const recovered = ack.recovered === true;
      const sameLife = ack.epoch === epoch && sinceSeq <= (ack.seq ?? 0);
      state.epoch = ack.epoch;
      if (!sameLife) state.seq = ack.seq ?? 0;
      state.deliver('resumed', { topic: state.topic, epoch: ack.epoch, sinceSeq, recovered });
      if (!recovered) {
        state.deliver('gap', {
          topic: state.topic,
          reason: ack.epoch === epoch ? 'not_recovered' : 'epoch_changed',
          epoch: ack.epoch,
          lastSeq: sinceSeq,
          previousEpoch: epoch,
        });
      }
    };
    try {
      await this.#request(frame, { resend: false, onAck });
    } catch (error) {
      if (this.#topics.get(state.topic) !== state) return;
      if (['DISCONNECTED', 'CLOSED'].includes(error.code)) return; // the next connection resumes it
      if (error.code === 'TOPIC_NOT_FOUND') {
        this.#endTopic(state, 'deleted', { topic: state.topic });
      } else if (['INTERNAL', 'UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED'].includes(error.code)) {
        this.#abandon(CLOSE_RETRY, `re-subscribe failed: ${error.code}`);
      } else {
        this.#endTopic(state, 'error', { topic: state.topic, error });
        this._emit('error', { error });
      }
    }
  }

  // Ends every handle of a topic with one last event (name, data).
  #endTopic(state, name, data) {
    if (this.#topics.get(state.topic) === state) this.#topics.delete(state.topic);
    for (const h of state.handles) h._end();
    state.deliver(name, data);
  }

  // Detaches a handle; the last one of its topic unsubscribes on the server.
  async _unsubscribe(handle, state) {
    if (!handle.active) return;
    handle._end();
    state.handles.delete(handle);
    if (state.handles.size > 0 || this.#topics.get(state.topic) !== state) return;
    this.#topics.delete(state.topic);
    if (this.#state !== 'open') return; // the next connection will not subscribe it
    try {
      await this.#request({ type: 'unsubscribe', topic: state.topic, client_id: this.#clientId }, { resend: false });
    } catch (error) {
      // Gone with the topic or the connection: not subscribed either way.
      if (!['TOPIC_NOT_FOUND', 'DISCONNECTED', 'CLOSED'].includes(error.code)) throw error;
    }
  }
}

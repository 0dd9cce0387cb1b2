// Credentials: an API key (--api-key) and JSON Web Tokens (--jwt-secret),
// given as a string or a function called before every (re)connect, sent as
// headers with ws and in the query with a WebSocket that cannot set them;
// and the WebSocket constructor option.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  PubSubClient, PubSubError, startServer, startProxy, createTopic, hs256, next, waitFor, topicName, fast, mode,
} from './support.mjs';

const key = 'k-' + 'x'.repeat(20);
const secret = 'a-jwt-secret-for-the-tests-of-clients-js';
const admin = { 'X-API-Key': key };
let server;
let proxy;
const clients = [];
const client = (options) => {
  const c = new PubSubClient({ url: server.wsUrl, ...fast, ...options });
  clients.push(c);
  return c;
};

before(async () => {
  server = await startServer(['--api-key', key, '--jwt-secret', secret]);
  proxy = await startProxy(server.port);
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await proxy?.close();
  await server?.stop();
});

// The code a refused upgrade rejects with: ws tells the HTTP status, a
// standard WebSocket does not.
const refusedCode = mode === 'ws' ? 'UNAUTHORIZED' : 'CONNECT_FAILED';

test('without credentials the upgrade is refused; connect() rejects, the client keeps trying', { timeout: 10000 }, async () => {
  const c = client();
  const errors = [];
  const states = [];
  c.on('error', ({ error }) => errors.push(error));
  c.on('state', (s) => states.push(s));
  const err = await c.connect().then(() => assert.fail('connected'), (e) => e);
  assert.ok(err instanceof PubSubError);
  assert.equal(err.code, refusedCode);
  assert.deepEqual(states.map((s) => s.state), ['connecting', 'reconnecting']);
  const reconnecting = states[1];
  assert.ok(reconnecting.attempt >= 1 && reconnecting.delayMs >= 0);
  await waitFor(() => errors.length >= 2, 'a second failed attempt');
  assert.ok(errors.every((e) => e.code === refusedCode));
  await c.close();
  assert.equal(c.state, 'closed');
});

test('reconnect:false: a refused upgrade closes for good and fails waiting requests', { timeout: 10000 }, async () => {
  const c = client({ reconnect: false });
  const topic = topicName();
  await createTopic(server, topic, admin);
  const err = await c.publish(topic, 1).catch((e) => e);
  assert.equal(err.code, refusedCode);
  assert.equal(c.state, 'closed');
});

test('an API key opens the connection', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic, admin);
  const c = client({ apiKey: key });
  const got = [];
  await c.subscribe(topic, {}, (e) => got.push(e.payload));
  await c.publish(topic, 'with a key');
  await waitFor(() => got.length === 1, 'the event');
  assert.deepEqual(got, ['with a key']);
  const wrong = client({ apiKey: 'wrong', reconnect: false });
  assert.equal((await wrong.connect().catch((e) => e)).code, refusedCode);
});

test('a token function is called before every connect; grants give FORBIDDEN', { timeout: 15000 }, async () => {
  const [chat, other] = [`chat.${topicName()}`, topicName()];
  await createTopic(server, chat, admin);
  await createTopic(server, other, admin);
  let calls = 0;
  const c = client({
    url: proxy.wsUrl,
    token: async () => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 5));
      return hs256(secret, { sub: `alice-${calls}`, pubsub: { subscribe: ['chat.*'], publish: [chat] } });
    },
  });
  const got = [];
  const s = await c.subscribe(chat, {}, (e) => got.push(e.seq));
  assert.equal(calls, 1);
  assert.equal((await c.publish(chat, 'hi')).seq, 1);
  const forbidden = await c.subscribe(other).catch((e) => e);
  assert.ok(forbidden instanceof PubSubError);
  assert.equal(forbidden.code, 'FORBIDDEN');
  assert.equal((await c.publish(other, 1).catch((e) => e)).code, 'FORBIDDEN');
  assert.equal(c.state, 'open');

  // A new connection takes a new token and resumes.
  const resumed = next(s, 'resumed');
  proxy.kill();
  assert.equal((await resumed).recovered, true);
  assert.equal(calls, 2);
  await c.publish(chat, 'again');
  await waitFor(() => got.length === 2, 'the second event');
  assert.deepEqual(got, [1, 2]);
});

test('a token string works; a bad one is refused', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic, admin);
  const good = client({ token: hs256(secret, { pubsub: { subscribe: ['*'], publish: ['*'] } }) });
  assert.equal((await good.publish(topic, 1)).seq, 1);
  const bad = client({ token: hs256('another secret', { pubsub: { publish: ['*'] } }), reconnect: false });
  assert.equal((await bad.publish(topic, 1).catch((e) => e)).code, refusedCode);
});

test('the WebSocket option is the constructor used', { timeout: 10000 }, async () => {
  const Base = mode === 'ws' ? (await import('ws')).WebSocket : globalThis.WebSocket;
  let made = 0;
  class Counting extends Base {
    constructor(...args) {
      super(...args);
      made += 1;
    }
  }
  const c = client({ WebSocket: Counting, apiKey: key });
  await c.connect();
  assert.equal(made, 1);
});

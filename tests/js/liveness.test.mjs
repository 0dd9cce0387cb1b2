// Heartbeats, a dead connection found by the ping deadline, request
// deadlines, and requests cut off by a lost connection. A TCP proxy between
// client and server freezes or cuts the connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import {
  PubSubClient, startServer, startProxy, createTopic, publishText, next, waitFor, sleep, topicName, fast,
} from './support.mjs';

let server;
let quiet; // a server without heartbeats
let proxy;
const clients = [];
const client = (options) => {
  const c = new PubSubClient({ ...fast, ...options });
  clients.push(c);
  return c;
};

before(async () => {
  server = await startServer(['--heartbeat-interval', '0.2']);
  quiet = await startServer(['--heartbeat-interval', '0']);
  proxy = await startProxy(quiet.port);
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await proxy?.close();
  await server?.stop();
  await quiet?.stop();
});

test('server heartbeats arrive as heartbeat events', { timeout: 10000 }, async () => {
  const c = client({ url: server.wsUrl });
  const beats = [];
  c.on('heartbeat', (b) => beats.push(b));
  await c.connect();
  await waitFor(() => beats.length >= 3, 'three heartbeats', 3000);
  for (const b of beats) assert.match(b.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('heartbeats keep the client from pinging', { timeout: 10000 }, async () => {
  const c = client({ url: server.wsUrl, pingIntervalMs: 300, pongTimeoutMs: 200 });
  const closes = [];
  c.on('close', (e) => closes.push(e));
  await c.connect();
  await sleep(1500);
  assert.deepEqual(closes, []);
  assert.equal(c.state, 'open');
});

test('an idle but live connection answers the ping and stays', { timeout: 10000 }, async () => {
  const c = client({ url: proxy.wsUrl, pingIntervalMs: 150, pongTimeoutMs: 300 });
  const closes = [];
  c.on('close', (e) => closes.push(e));
  await c.connect();
  await sleep(1000); // several pings, each answered
  assert.deepEqual(closes, []);
  assert.equal(c.state, 'open');
});

test('a connection that stops forwarding is found dead by the ping deadline, then resumed', { timeout: 15000 }, async () => {
  const topic = topicName();
  await createTopic(quiet, topic);
  const c = client({ url: proxy.wsUrl, pingIntervalMs: 200, pongTimeoutMs: 300 });
  const got = [];
  const s = await c.subscribe(topic, {}, (e) => got.push(e.seq));
  await publishText(quiet, topic, '1');
  await waitFor(() => got.length === 1, 'the first event');
  const opens = [];
  c.on('open', (e) => opens.push(e));
  const closed = next(c, 'close', 5000);
  const resumed = next(s, 'resumed', 5000);
  const frozenAt = Date.now();
  proxy.freeze(); // no FIN, no RST: nothing arrives any more
  await publishText(quiet, topic, '2'); // stuck in the frozen connection
  const close = await closed;
  const took = Date.now() - frozenAt;
  assert.equal(close.code, 4000);
  assert.equal(close.willReconnect, true);
  assert.ok(took >= 400 && took < 2000, `dead after ${took} ms`);
  assert.equal((await resumed).recovered, true);
  assert.equal(opens.length, 1);
  await waitFor(() => got.length === 2, 'the event published while frozen');
  assert.deepEqual(got, [1, 2]);
  proxy.kill(); // the frozen one
});

test('a request without an answer rejects with TIMEOUT', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(quiet, topic);
  const c = client({ url: proxy.wsUrl, requestTimeoutMs: 300, pingIntervalMs: 60000 });
  await c.connect();
  proxy.freeze();
  const started = Date.now();
  const err = await c.publish(topic, 1).catch((e) => e);
  const took = Date.now() - started;
  assert.equal(err.code, 'TIMEOUT');
  assert.match(err.requestId, /./);
  assert.ok(took >= 280 && took < 1500, `timed out after ${took} ms`);
  proxy.kill();
});

test('a subscribe acknowledged after its timeout is unsubscribed again', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(quiet, topic);
  const c = client({ url: proxy.wsUrl, requestTimeoutMs: 200 });
  await c.connect();
  proxy.freeze();
  assert.equal((await c.subscribe(topic).catch((e) => e)).code, 'TIMEOUT');
  const subscribers = async () => (await (await fetch(`${quiet.httpUrl}/topics/${topic}`)).json()).subscribers;
  assert.equal(await subscribers(), 0);
  const unsubscribes = async () => {
    const page = await (await fetch(`${quiet.httpUrl}/metrics`)).text();
    return Number(/pubsub_requests_total\{type="unsubscribe",result="ok"\} (\d+)/.exec(page)[1]);
  };
  const before = await unsubscribes();
  proxy.thaw(); // the subscribe reaches the server now, and its ack the client
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && (await unsubscribes()) === before) await sleep(20);
  assert.equal(await unsubscribes(), before + 1);
  assert.equal(await subscribers(), 0);
  assert.equal(c.state, 'open');
});

test('a publish in flight when the connection drops rejects with DISCONNECTED, never resent', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(quiet, topic);
  const c = client({ url: proxy.wsUrl });
  await c.connect();
  proxy.freeze();
  const pending = c.publish(topic, 'maybe').catch((e) => e);
  await sleep(50);
  const reopened = next(c, 'open');
  proxy.kill();
  const err = await pending;
  assert.equal(err.code, 'DISCONNECTED');
  await reopened;
  await sleep(200);
  const { body } = await (await fetch(`${quiet.httpUrl}/topics/${topic}`)).json().then((b) => ({ body: b }));
  assert.equal(body.messages, 0); // the frozen frame never reached the server, and was not resent
  assert.equal((await c.publish(topic, 'after')).seq, 1);
});

test('requests wait for the connection, bounded by requestTimeoutMs', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(quiet, topic);
  const c = client({ url: proxy.wsUrl, requestTimeoutMs: 400 });
  await c.connect();
  proxy.refuse(true);
  const reconnecting = next(c, 'state');
  proxy.kill();
  assert.equal((await reconnecting).state, 'reconnecting');
  const started = Date.now();
  const err = await c.publish(topic, 1).catch((e) => e);
  assert.equal(err.code, 'TIMEOUT');
  assert.ok(Date.now() - started >= 380);
  // Once the server is reachable again, waiting requests go through.
  const later = c.publish(topic, 2);
  await sleep(100);
  proxy.refuse(false);
  assert.equal((await later).seq, 1);
});

test('states through a reconnect: reconnecting with attempt and delay, then open', { timeout: 10000 }, async () => {
  const c = client({ url: proxy.wsUrl, reconnect: { minDelayMs: 100, maxDelayMs: 400 } });
  await c.connect();
  const states = [];
  c.on('state', (s) => states.push(s));
  const closes = [];
  c.on('close', (e) => closes.push(e));
  proxy.refuse(true);
  proxy.kill();
  await waitFor(() => states.length >= 3, 'three attempts');
  proxy.refuse(false);
  await waitFor(() => c.state === 'open', 'open again');
  assert.equal(closes.length, 1);
  assert.equal(closes[0].willReconnect, true);
  const attempts = states.filter((s) => s.state === 'reconnecting');
  assert.deepEqual(attempts.slice(0, 3).map((s) => s.attempt), [1, 2, 3]);
  for (const s of attempts) {
    const ceiling = Math.min(400, 100 * 2 ** (s.attempt - 1));
    assert.ok(s.delayMs >= ceiling / 2 && s.delayMs <= ceiling, `attempt ${s.attempt}: ${s.delayMs} ms`);
  }
  assert.equal(states.at(-1).state, 'open');

  // After a connection that lasted maxDelayMs, the delays start over.
  await sleep(500);
  states.length = 0;
  proxy.kill();
  await waitFor(() => states.some((s) => s.state === 'open'), 'open once more');
  assert.deepEqual(states.map((s) => [s.state, s.attempt]), [['reconnecting', 1], ['open', undefined]]);
});

test('reconnect:false: a lost connection closes, and connect() resumes the subscriptions', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(quiet, topic);
  const c = client({ url: proxy.wsUrl, reconnect: false });
  const got = [];
  const s = await c.subscribe(topic, {}, (e) => got.push(e.seq));
  const closed = next(c, 'close');
  proxy.kill();
  assert.equal((await closed).willReconnect, false);
  assert.equal(c.state, 'closed');
  await publishText(quiet, topic, '1');
  const resumed = next(s, 'resumed');
  await c.connect();
  assert.equal((await resumed).recovered, true);
  await waitFor(() => got.length === 1, 'the missed event');
  assert.deepEqual(got, [1]);
});

test('an upgrade that is never answered fails the attempt at connectTimeoutMs, and the next attempt follows', { timeout: 10000 }, async () => {
  // A listener that takes connections and never says a word, as a balancer
  // whose backend hangs would.
  const taken = [];
  const silent = createServer((socket) => taken.push(socket));
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const c = client({ url: `ws://127.0.0.1:${silent.address().port}/ws`, connectTimeoutMs: 300 });
    const states = [];
    c.on('state', (e) => states.push(e.state));
    const startedAt = Date.now();
    const error = await c.connect().then(() => null, (err) => err);
    const took = Date.now() - startedAt;
    assert.equal(error?.code, 'CONNECT_FAILED');
    assert.match(error.message, /within 300 ms/);
    assert.ok(took >= 250 && took < 2000, `failed after ${took} ms`);
    assert.ok(states.includes('reconnecting'), `states: ${states}`);
    await waitFor(() => taken.length >= 2, 'a second attempt', 3000);
    await c.close();
    assert.equal(c.state, 'closed');
  } finally {
    for (const socket of taken) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

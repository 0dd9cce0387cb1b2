// The client's requests against a real pubsubd: subscribe, publish, lastN,
// unsubscribe, server errors as PubSubError, topic deletion, several handles
// on one topic, states, close(); and that the server serves this very file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  PubSubClient, PubSubError, startServer, rest, createTopic, publishText, next, waitFor, sleep,
  topicName, clientSource, mode,
} from './support.mjs';

let server;
const clients = [];
const client = (options = {}) => {
  const c = new PubSubClient({ url: server.wsUrl, ...options });
  clients.push(c);
  return c;
};

before(async () => {
  server = await startServer();
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.stop();
});

test('runs on the WebSocket implementation of this mode', { timeout: 5000 }, () => {
  assert.equal(typeof globalThis.WebSocket === 'function', mode === 'global');
});

test('GET /client.js serves clients/js/client.js byte for byte', { timeout: 10000 }, async () => {
  const res = await fetch(`${server.httpUrl}/client.js`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /javascript/);
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(readFileSync(clientSource)),
    'GET /client.js differs from clients/js/client.js (was pubsubd built before its last edit?)');
});

test('URLs: http becomes ws, /ws is added to a bare origin', { timeout: 5000 }, () => {
  assert.equal(new PubSubClient({ url: 'http://h:1' }).url, 'ws://h:1/ws');
  assert.equal(new PubSubClient({ url: 'https://h/' }).url, 'wss://h/ws');
  assert.equal(new PubSubClient({ url: 'ws://h:2/custom' }).url, 'ws://h:2/custom');
  assert.throws(() => new PubSubClient({}), TypeError); // no page to take the origin from
});

test('connect() from http://, with states connecting then open', { timeout: 10000 }, async () => {
  const c = client({ url: server.httpUrl });
  assert.equal(c.state, 'closed');
  const states = [];
  c.on('state', (s) => states.push(s.state));
  const opened = next(c, 'open');
  await c.connect();
  assert.equal(c.state, 'open');
  assert.deepEqual(states, ['connecting', 'open']);
  assert.equal((await opened).url, server.wsUrl);
  await c.connect(); // already open: resolves at once
});

test('publish resolves with the seq; the subscriber gets every event in order, ids and payloads intact', { timeout: 15000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const sub = client();
  const pub = client();
  const got = [];
  const s = await sub.subscribe(topic, {}, (e) => got.push(e));
  assert.equal(s.topic, topic);
  assert.equal(s.seq, 0);
  assert.match(s.epoch, /^[A-Za-z0-9_-]{1,32}$/);
  const payloads = [
    { nested: { a: [1, 2.5, -3e-7, true, false, null] }, text: 'é\u2028"\\</script>' },
    'a string',
    12345678901234,
    null,
    [],
    { '': 0, 'z': 1, 'a': 2 },
  ];
  const acks = [];
  for (const payload of payloads) acks.push(await pub.publish(topic, payload));
  assert.deepEqual(acks.map((a) => a.seq), [1, 2, 3, 4, 5, 6]);
  for (const a of acks) {
    assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(a.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  await waitFor(() => got.length === payloads.length, 'six events');
  assert.deepEqual(got.map((e) => e.seq), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(got.map((e) => e.id), acks.map((a) => a.id));
  assert.deepEqual(got.map((e) => e.payload), payloads);
  assert.deepEqual(Object.keys(got[5].payload), ['', 'z', 'a']); // key order kept
  assert.ok(got.every((e) => e.topic === topic && typeof e.ts === 'string'));
  assert.equal(s.seq, 6);

  // The history holds the payload text the client sent.
  const history = await rest(server, 'GET', `/topics/${topic}/messages`);
  assert.ok(history.text.includes(JSON.stringify(payloads[0])));

  // A given id is kept.
  const id = '0b7e8f52-6a31-4c3e-9d1f-2f8f8a0e4c11';
  assert.deepEqual(await pub.publish(topic, 1, { id }).then((a) => [a.id, a.seq]), [id, 7]);
  await waitFor(() => got.length === 7, 'the seventh event');
  assert.equal(got[6].id, id);
});

test('payload text sent over REST arrives as the same JSON value', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const c = client();
  const got = [];
  await c.subscribe(topic, {}, (e) => got.push(e));
  const text = '{ "b" : [1, 2,3] ,"a":"\\u00e9\\n", "n": 1.50 }';
  assert.equal(await publishText(server, topic, text), 1);
  await waitFor(() => got.length === 1, 'the event');
  assert.deepEqual(got[0].payload, JSON.parse(text));
});

test('a publisher subscribed to its topic gets its event before the ack', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const c = client();
  const order = [];
  await c.subscribe(topic, {}, (e) => order.push(`event ${e.seq}`));
  const ack = await c.publish(topic, { hello: 'me' });
  order.push(`ack ${ack.seq}`);
  assert.deepEqual(order, ['event 1', 'ack 1']);
});

test('lastN replays the newest retained events, oldest first, then live ones', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  for (let i = 1; i <= 5; i++) await publishText(server, topic, `{"i":${i}}`);
  const c = client();
  const s = await c.subscribe(topic, { lastN: 3 });
  const got = [];
  s.on('event', (e) => got.push(e)); // added after the ack: the replay is held for it
  await waitFor(() => got.length === 3, 'the replay');
  assert.deepEqual(got.map((e) => [e.seq, e.payload.i]), [[3, 3], [4, 4], [5, 5]]);
  await publishText(server, topic, '{"i":6}');
  await waitFor(() => got.length === 4, 'the live event');
  assert.deepEqual(got[3].payload, { i: 6 });

  const more = [];
  await client().subscribe(topic, { lastN: 100 }, (e) => more.push(e.seq));
  await waitFor(() => more.length === 6, 'the whole history');
  assert.deepEqual(more, [1, 2, 3, 4, 5, 6]);
});

test('sinceSeq on a first subscribe replays after it', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  for (let i = 1; i <= 4; i++) await publishText(server, topic, `${i}`);
  const { body } = await rest(server, 'GET', `/topics/${topic}`);
  const got = [];
  const s = await client().subscribe(topic, { sinceSeq: 2, epoch: body.epoch }, (e) => got.push(e.seq));
  assert.equal(s.recovered, true);
  await waitFor(() => got.length === 2, 'the replay');
  assert.deepEqual(got, [3, 4]);

  // Another epoch: nothing replayed, and a gap.
  const c = client();
  const other = await c.subscribe(topic, { sinceSeq: 2, epoch: 'another-life' });
  const gap = await next(other, 'gap');
  assert.equal(other.recovered, false);
  assert.deepEqual(gap, { topic, reason: 'epoch_changed', epoch: body.epoch, lastSeq: 2, previousEpoch: 'another-life' });
  assert.equal(other.seq, 4);
});

test('unsubscribe: no event after it, the server holds no subscription', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const c = client();
  const got = [];
  const s = await c.subscribe(topic, {}, (e) => got.push(e.seq));
  await c.publish(topic, 1);
  await waitFor(() => got.length === 1, 'the first event');
  assert.equal((await rest(server, 'GET', `/topics/${topic}`)).body.subscribers, 1);
  await s.unsubscribe();
  assert.equal(s.active, false);
  assert.equal((await rest(server, 'GET', `/topics/${topic}`)).body.subscribers, 0);
  await c.publish(topic, 2);
  await sleep(200);
  assert.deepEqual(got, [1]);
  await s.unsubscribe(); // twice: nothing
});

test('several subscribe() calls on one topic share one subscription', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const c = client();
  const a = [];
  const b = [];
  const [sa, sb] = await Promise.all([
    c.subscribe(topic, {}, (e) => a.push(e.seq)),
    c.subscribe(topic, {}, (e) => b.push(e.seq)),
  ]);
  assert.equal((await rest(server, 'GET', `/topics/${topic}`)).body.subscribers, 1);
  await c.publish(topic, 'x');
  await waitFor(() => a.length === 1 && b.length === 1, 'both handles');
  await sa.unsubscribe();
  assert.equal((await rest(server, 'GET', `/topics/${topic}`)).body.subscribers, 1);
  await c.publish(topic, 'y');
  await waitFor(() => b.length === 2, 'the remaining handle');
  assert.deepEqual(a, [1]);
  await sb.unsubscribe();
  assert.equal((await rest(server, 'GET', `/topics/${topic}`)).body.subscribers, 0);
});

test('server errors reject with PubSubError and their codes; the connection stays', { timeout: 10000 }, async () => {
  const c = client();
  const missing = topicName('missing');
  const errors = [];
  c.on('error', (e) => errors.push(e));
  const expectCode = async (promise, code) => {
    const err = await promise.then(() => assert.fail('resolved'), (e) => e);
    assert.ok(err instanceof PubSubError, String(err));
    assert.ok(err instanceof Error);
    assert.equal(err.code, code, err.message);
    return err;
  };
  const notFound = await expectCode(c.subscribe(missing), 'TOPIC_NOT_FOUND');
  assert.match(notFound.requestId, /./);
  assert.match(notFound.message, new RegExp(missing));
  await expectCode(c.publish(missing, 1), 'TOPIC_NOT_FOUND');
  await expectCode(c.subscribe('bad name!'), 'BAD_REQUEST');
  const topic = topicName();
  await createTopic(server, topic);
  await expectCode(c.publish(topic, 1, { id: 'not-a-uuid' }), 'BAD_REQUEST');
  await expectCode(c.publish(topic, undefined), 'BAD_REQUEST');
  await expectCode(c.subscribe(topic, { lastN: 1, sinceSeq: 0 }), 'BAD_REQUEST');
  assert.equal(c.state, 'open');
  assert.equal((await c.publish(topic, 'fine')).seq, 1);
  assert.deepEqual(errors, []); // request errors reject, they are not 'error' events
});

test('LIMIT_EXCEEDED past --max-subscriptions', { timeout: 15000 }, async () => {
  const limited = await startServer(['--max-subscriptions', '1']);
  try {
    const [t1, t2] = [topicName(), topicName()];
    await createTopic(limited, t1);
    await createTopic(limited, t2);
    const c = new PubSubClient({ url: limited.wsUrl });
    clients.push(c);
    await c.subscribe(t1);
    const err = await c.subscribe(t2).catch((e) => e);
    assert.equal(err.code, 'LIMIT_EXCEEDED');
    await c.close();
  } finally {
    await limited.stop();
  }
});

test('a deleted topic ends the subscription with a deleted event', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const c = client();
  const got = [];
  const s = await c.subscribe(topic, {}, (e) => got.push(e.seq));
  await c.publish(topic, 1);
  const deleted = next(s, 'deleted');
  assert.equal((await rest(server, 'DELETE', `/topics/${topic}`)).status, 200);
  assert.deepEqual(await deleted, { topic });
  assert.equal(s.active, false);
  assert.deepEqual(got, [1]); // the event came before topic_deleted
  // Subscribing again after re-creating it works.
  await createTopic(server, topic);
  const again = await c.subscribe(topic);
  assert.equal(again.seq, 0);
  assert.notEqual(again.epoch, s.epoch);
});

test('close(): state closed, close event, pending requests reject CLOSED, then lazy reconnect', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const c = client();
  const s = await c.subscribe(topic);
  const closes = [];
  c.on('close', (e) => closes.push(e));
  const pending = c.publish(topic, 'in flight').catch((e) => e); // sent, its ack not yet read
  await c.close();
  assert.equal(c.state, 'closed');
  assert.equal((await pending).code, 'CLOSED');
  assert.deepEqual(closes, [{ code: 1000, reason: 'closed by the client', willReconnect: false }]);
  assert.equal(s.active, false);
  // subscribe/publish connect again by themselves.
  assert.equal((await c.publish(topic, 'later')).seq >= 1, true);
  assert.equal(c.state, 'open');
});

test('clientId is sent as client_id', { timeout: 10000 }, async () => {
  const c = client({ clientId: 'console-7' });
  assert.equal(c.clientId, 'console-7');
  assert.match(client().clientId, /^js-/);
  const topic = topicName();
  await createTopic(server, topic);
  await c.subscribe(topic);
});

test('a listener that throws is reported and disturbs neither other listeners nor later events', { timeout: 10000 }, async () => {
  const reported = [];
  globalThis.reportError = (err) => reported.push(err);
  try {
    const topic = topicName();
    await createTopic(server, topic);
    const c = client();
    const got = [];
    const s = await c.subscribe(topic, {}, () => {
      throw new Error('listener bug');
    });
    s.on('event', (e) => got.push(e.seq));
    await c.publish(topic, 1);
    await c.publish(topic, 2);
    await waitFor(() => got.length === 2, 'both events');
    assert.deepEqual(got, [1, 2]);
    assert.deepEqual(reported.map((e) => e.message), ['listener bug', 'listener bug']);
  } finally {
    delete globalThis.reportError;
  }
});

test('on() returns the function that removes the listener; off() removes it too', { timeout: 10000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const c = client();
  const s = await c.subscribe(topic);
  const a = [];
  const b = [];
  const removeA = s.on('event', (e) => a.push(e.seq));
  const fb = (e) => b.push(e.seq);
  s.on('event', fb);
  await c.publish(topic, 1);
  await waitFor(() => a.length === 1 && b.length === 1, 'the first event');
  removeA();
  s.off('event', fb);
  const last = [];
  s.on('event', (e) => last.push(e.seq));
  await c.publish(topic, 2);
  await waitFor(() => last.length === 1, 'the second event');
  assert.deepEqual([a, b], [[1], [1]]);
});

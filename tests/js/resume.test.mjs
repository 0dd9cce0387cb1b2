// Reconnect and resume: connections cut mid-stream by a TCP proxy while a
// publisher keeps publishing over REST; a history too short for the outage
// (gap, not_recovered); the topic deleted and created again while the
// client was away (gap, epoch_changed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  PubSubClient, startServer, startProxy, rest, createTopic, publishText, next, waitFor, sleep, topicName, fast,
} from './support.mjs';

let server; // default history (100)
let short; // --history-size 5
let proxy;
let shortProxy;
const clients = [];
const client = (url, options) => {
  const c = new PubSubClient({ url, ...fast, ...options });
  clients.push(c);
  return c;
};

before(async () => {
  server = await startServer();
  short = await startServer(['--history-size', '5']);
  proxy = await startProxy(server.port);
  shortProxy = await startProxy(short.port);
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await proxy?.close();
  await shortProxy?.close();
  await server?.stop();
  await short?.stop();
});

// Records what a subscription hands on, in order.
function record(sub) {
  const log = [];
  for (const name of ['event', 'resumed', 'gap', 'dropped', 'deleted']) {
    sub.on(name, (data) => log.push({ name, ...data }));
  }
  return log;
}

test('connections killed mid-stream: every seq exactly once, in order, resumed recovered', { timeout: 60000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const c = client(proxy.wsUrl);
  const s = await c.subscribe(topic);
  const log = record(s);
  const total = 400;
  const kills = 4;
  let published = 0;
  const publisher = (async () => {
    while (published < total) {
      published += 1;
      assert.equal(await publishText(server, topic, `{"n":${published}}`), published);
      if (published % 8 === 0) await sleep(2);
    }
  })();
  const cuts = []; // per cut: the seq handed on last before it, and the newest published
  for (let k = 1; k <= kills; k++) {
    await waitFor(() => published >= (k * total) / (kills + 1), `publish number ${(k * total) / (kills + 1)}`, 20000);
    const resumed = log.filter((e) => e.name === 'resumed').length;
    // Events stuck in the frozen direction are lost with the connection:
    // only the resume can bring them back.
    proxy.freezeDown();
    const frozenAt = published;
    await waitFor(() => published >= frozenAt + 5, 'five publishes into the frozen connection', 20000);
    cuts.push({ handed: s.seq, published });
    proxy.kill();
    await waitFor(() => log.filter((e) => e.name === 'resumed').length > resumed, `resume ${k}`, 10000);
  }
  await publisher;
  await waitFor(() => s.seq === total, `seq ${total}`, 20000);
  const events = log.filter((e) => e.name === 'event');
  assert.deepEqual(events.map((e) => e.seq), Array.from({ length: total }, (_, i) => i + 1));
  assert.deepEqual(events.map((e) => e.payload.n), events.map((e) => e.seq));
  const resumed = log.filter((e) => e.name === 'resumed');
  assert.equal(resumed.length, kills);
  for (const r of resumed) {
    assert.equal(r.recovered, true);
    assert.equal(r.epoch, s.epoch);
    assert.equal(r.topic, topic);
  }
  // Each resume went on right after the last event handed on before it.
  for (let i = 0; i < log.length; i++) {
    if (log[i].name !== 'resumed') continue;
    const before = log.slice(0, i).filter((e) => e.name === 'event').at(-1);
    assert.equal(log[i].sinceSeq, before?.seq ?? 0);
  }
  assert.deepEqual(log.filter((e) => e.name === 'gap'), []);
  // Each resume replayed what the cut connection had not delivered.
  resumed.forEach((r, i) => {
    assert.ok(r.sinceSeq >= cuts[i].handed && r.sinceSeq <= cuts[i].published - 5,
      `cut ${i}: ${JSON.stringify(cuts[i])}, resumed after ${r.sinceSeq}`);
  });
});

test('a history too short for the outage: gap not_recovered, then what is retained, then live', { timeout: 20000 }, async () => {
  const topic = topicName();
  await createTopic(short, topic);
  const c = client(shortProxy.wsUrl);
  const s = await c.subscribe(topic);
  const log = record(s);
  for (let i = 1; i <= 3; i++) await publishText(short, topic, `${i}`);
  await waitFor(() => s.seq === 3, 'seq 3');
  const epoch = s.epoch;

  shortProxy.refuse(true);
  const away = next(c, 'state');
  shortProxy.kill();
  assert.equal((await away).state, 'reconnecting');
  for (let i = 4; i <= 13; i++) await publishText(short, topic, `${i}`); // the history keeps 9..13
  const gapSeen = next(s, 'gap');
  shortProxy.refuse(false);
  const gap = await gapSeen;
  assert.deepEqual(gap, { topic, reason: 'not_recovered', epoch, lastSeq: 3, previousEpoch: epoch });
  await publishText(short, topic, '14');
  await waitFor(() => s.seq === 14, 'seq 14');
  assert.deepEqual(log.map((e) => (e.name === 'event' ? e.seq : e.name)),
    [1, 2, 3, 'resumed', 'gap', 9, 10, 11, 12, 13, 14]);
  const resumed = log.find((e) => e.name === 'resumed');
  assert.deepEqual(resumed, { name: 'resumed', topic, epoch, sinceSeq: 3, recovered: false });
  assert.deepEqual(log.filter((e) => e.name === 'event').map((e) => e.payload), [1, 2, 3, 9, 10, 11, 12, 13, 14]);
});

test('the topic deleted and created again while away: gap epoch_changed, the new life goes on', { timeout: 20000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const c = client(proxy.wsUrl);
  const s = await c.subscribe(topic);
  const log = record(s);
  await publishText(server, topic, '"old 1"');
  await publishText(server, topic, '"old 2"');
  await waitFor(() => s.seq === 2, 'seq 2');
  const oldEpoch = s.epoch;

  proxy.refuse(true);
  const away = next(c, 'state');
  proxy.kill();
  assert.equal((await away).state, 'reconnecting');
  assert.equal((await rest(server, 'DELETE', `/topics/${topic}`)).status, 200);
  await createTopic(server, topic);
  for (let i = 1; i <= 3; i++) await publishText(server, topic, `"new ${i}"`);
  const newEpoch = (await rest(server, 'GET', `/topics/${topic}`)).body.epoch;
  assert.notEqual(newEpoch, oldEpoch);

  const gapSeen = next(s, 'gap');
  proxy.refuse(false);
  assert.deepEqual(await gapSeen, { topic, reason: 'epoch_changed', epoch: newEpoch, lastSeq: 2, previousEpoch: oldEpoch });
  assert.equal(s.epoch, newEpoch);
  assert.equal(s.seq, 3); // goes on from the new life's head
  await publishText(server, topic, '"new 4"');
  await waitFor(() => s.seq === 4, 'seq 4');
  assert.deepEqual(log.map((e) => (e.name === 'event' ? e.payload : e.name)),
    ['old 1', 'old 2', 'resumed', 'gap', 'new 4']);
  assert.equal(log.find((e) => e.name === 'resumed').recovered, false);

  // Away again, in the same new life: recovered.
  const resumed = next(s, 'resumed');
  proxy.kill();
  assert.equal((await resumed).recovered, true);
});

test('the topic deleted and not created again while away: deleted', { timeout: 20000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const c = client(proxy.wsUrl);
  const s = await c.subscribe(topic);
  proxy.refuse(true);
  const away = next(c, 'state');
  proxy.kill();
  await away;
  assert.equal((await rest(server, 'DELETE', `/topics/${topic}`)).status, 200);
  const deleted = next(s, 'deleted');
  proxy.refuse(false);
  assert.deepEqual(await deleted, { topic });
  assert.equal(s.active, false);
  await waitFor(() => c.state === 'open', 'open');
});

test('events published during a subscribe after a lastN replay are not repeated on resume', { timeout: 20000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  for (let i = 1; i <= 6; i++) await publishText(server, topic, `${i}`);
  const c = client(proxy.wsUrl);
  const got = [];
  const s = await c.subscribe(topic, { lastN: 2 }, (e) => got.push(e.seq));
  await waitFor(() => got.length === 2, 'the replay');
  const resumed = next(s, 'resumed');
  proxy.kill();
  await publishText(server, topic, '7');
  assert.equal((await resumed).sinceSeq, 6);
  await waitFor(() => got.length === 3, 'seq 7');
  await sleep(100);
  assert.deepEqual(got, [5, 6, 7]);
});

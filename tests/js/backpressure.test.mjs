// A subscriber that does not read: the server drops its oldest events
// (--max-queue 4, drop_oldest) and the client hands on the 'dropped' info,
// whose counts account for exactly the seqs that did not arrive. The TCP
// proxy stops forwarding to the client until the server has dropped some.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  PubSubClient, startServer, startProxy, rest, createTopic, publishText, waitFor, next, topicName, fast,
} from './support.mjs';

let server;
let proxy;
let strict; // --backpressure disconnect
let strictProxy;
const clients = [];

before(async () => {
  server = await startServer(['--max-queue', '4']);
  proxy = await startProxy(server.port);
  strict = await startServer(['--max-queue', '4', '--backpressure', 'disconnect']);
  strictProxy = await startProxy(strict.port);
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await proxy?.close();
  await strictProxy?.close();
  await server?.stop();
  await strict?.stop();
});

test('dropped: counted exactly, then the stream goes on', { timeout: 60000 }, async () => {
  const topic = topicName();
  await createTopic(server, topic);
  const client = new PubSubClient({ url: proxy.wsUrl });
  clients.push(client);
  const s = await client.subscribe(topic);
  const log = [];
  s.on('event', (e) => log.push({ seq: e.seq, size: e.payload.length }));
  s.on('dropped', (d) => log.push({ dropped: d.count, topic: d.topic }));

  proxy.freezeDown(); // the server's writes pile up in the kernel, then in its queue
  const big = JSON.stringify('x'.repeat(100 * 1024));
  let last = 0;
  let dropped = 0;
  while (dropped === 0) {
    last = await publishText(server, topic, big);
    if (last % 10 === 0) dropped = (await rest(server, 'GET', `/topics/${topic}`)).body.dropped;
    assert.ok(last < 1000, 'the server dropped nothing after 1000 publishes of 100 KiB');
  }
  proxy.thaw();
  last = await publishText(server, topic, '"end"');
  await waitFor(() => s.seq === last, `seq ${last}`, 30000);

  const total = (await rest(server, 'GET', `/topics/${topic}`)).body.dropped;
  assert.ok(total > 0);
  const infos = log.filter((e) => 'dropped' in e);
  assert.ok(infos.length >= 1);
  assert.ok(infos.every((d) => d.topic === topic && d.dropped > 0));
  assert.equal(infos.reduce((n, d) => n + d.dropped, 0), total);
  // Each 'dropped' comes just before the event after the seqs it counts.
  let seq = 0;
  for (const entry of log) {
    if ('dropped' in entry) {
      seq += entry.dropped;
    } else {
      assert.equal(entry.seq, seq + 1);
      seq = entry.seq;
    }
  }
  assert.equal(seq, last);
});

test('SLOW_CONSUMER: an error event, the 1008 close, then a resume from what was handed on', { timeout: 60000 }, async () => {
  const topic = topicName();
  await createTopic(strict, topic);
  const client = new PubSubClient({ url: strictProxy.wsUrl, ...fast });
  clients.push(client);
  const errors = [];
  const closes = [];
  client.on('error', ({ error }) => errors.push(error));
  client.on('close', (e) => closes.push(e));
  const s = await client.subscribe(topic);
  const seqs = [];
  s.on('event', (e) => seqs.push(e.seq));
  const resumed = next(s, 'resumed', 30000);

  strictProxy.freezeDown();
  const big = JSON.stringify('x'.repeat(100 * 1024));
  let last = 0;
  let disconnects = 0;
  while (disconnects === 0) {
    last = await publishText(strict, topic, big);
    if (last % 10 === 0) disconnects = (await rest(strict, 'GET', '/stats')).body.slow_consumer_disconnects;
    assert.ok(last < 1000, 'no slow-consumer disconnect after 1000 publishes of 100 KiB');
  }
  strictProxy.thaw();
  const r = await resumed;
  assert.ok(errors.some((e) => e.code === 'SLOW_CONSUMER'), `errors: ${errors.map((e) => e.code)}`);
  assert.equal(closes[0].code, 1008);
  assert.equal(closes[0].willReconnect, true);
  assert.equal(r.sinceSeq, seqs.at(-1) ?? 0);
  last = await publishText(strict, topic, '"end"');
  await waitFor(() => s.seq === last, `seq ${last}`, 30000);
  // The history (100) still held what the slow connection never delivered.
  assert.equal(r.recovered, last - r.sinceSeq <= 101);
  if (r.recovered) assert.deepEqual(seqs, Array.from({ length: last }, (_, i) => i + 1));
});

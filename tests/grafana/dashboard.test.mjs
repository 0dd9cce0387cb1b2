// The Grafana dashboard of examples/grafana/ against a real Prometheus
// scraping a real pubsubd: every panel's query is valid PromQL over
// families the server exposes, and returns data once the server has seen
// the traffic the panel shows.
//
// Run by Meson (suite "grafana"): node --experimental-websocket --test
// with $PUBSUBD, $PROMETHEUS and $PROMTOOL naming the binaries. Everything
// listens on 127.0.0.1 and is stopped at the end.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const here = new URL('.', import.meta.url).pathname;
const dashboardFile = join(here, '../../examples/grafana/pubsub-dashboard.json');
const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'pubsub-grafana-'));
const children = [];

after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

// Every query of every panel, with Grafana's variables as a dashboard
// showing all nodes would expand them.
function queries() {
  const all = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      all.push({
        panel: panel.title,
        expr: target.expr.replaceAll('$__rate_interval', '15s').replaceAll('$instance', '.*'),
      });
    }
  }
  return all;
}

// Starts `command` and resolves with the first stdout line matching `pattern`.
function start(command, args, pattern, stream = 'stdout') {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${seen}`)), 20000);
    child[stream].on('data', (chunk) => {
      seen += chunk;
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    });
    child.on('exit', (code) => reject(new Error(`${command} exited with ${code}: ${seen}`)));
  });
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Opens a WebSocket and resolves once it is open; frames go to `frames`.
function openSocket(url, frames = []) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onmessage = (m) => frames.push(JSON.parse(m.data));
    ws.onopen = () => resolve(ws);
    ws.onerror = reject;
  });
}

// A subscriber that never reads: a raw upgrade and one subscribe frame,
// then the socket is paused, so the server drops its events (--max-queue).
function stalledSubscriber(port, topic) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    socket.once('data', () => {
      const text = Buffer.from(JSON.stringify({ type: 'subscribe', topic, client_id: 'stalled' }));
      const mask = Buffer.from([1, 2, 3, 4]);
      const header = Buffer.from([0x81, 0x80 | text.length]);
      const masked = Buffer.from(text.map((byte, i) => byte ^ mask[i % 4]));
      socket.write(Buffer.concat([header, mask, masked]));
      setTimeout(() => {
        socket.pause();
        resolve(socket);
      }, 200);
    });
    socket.on('error', reject);
  });
}

// An upgrade the server refuses (no Sec-WebSocket-Key): one rejected connection.
function refusedUpgrade(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Version: 13\r\n\r\n');
    });
    socket.on('data', () => socket.destroy());
    socket.on('close', resolve);
    socket.on('error', resolve);
  });
}

test('the dashboard is a Grafana dashboard whose panels fit its grid', () => {
  assert.equal(typeof dashboard.title, 'string');
  assert.ok(dashboard.schemaVersion >= 36);
  const ids = dashboard.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const panel of dashboard.panels) {
    const { x, w } = panel.gridPos;
    assert.ok(x >= 0 && x + w <= 24, `${panel.title} fits 24 columns`);
    if (panel.type === 'row') continue;
    assert.equal(panel.datasource.uid, '${datasource}', `${panel.title} uses the data source variable`);
    assert.ok(panel.targets.length > 0, `${panel.title} has a query`);
  }
  const variables = dashboard.templating.list.map((v) => v.name);
  assert.deepEqual(variables, ['datasource', 'instance']);
});

test('every query is valid PromQL (promtool check rules)', () => {
  const rules = join(work, 'rules.yml');
  const lines = ['groups:', '  - name: dashboard', '    rules:'];
  queries().forEach(({ expr }, i) => {
    lines.push(`      - record: dashboard:query_${i}`, `        expr: ${JSON.stringify(expr)}`);
  });
  writeFileSync(rules, lines.join('\n') + '\n');
  const out = execFileSync(process.env.PROMTOOL ?? 'promtool', ['check', 'rules', rules], { encoding: 'utf8' });
  assert.match(out, new RegExp(`SUCCESS: ${queries().length} rules found`));
});

test('every query returns data from Prometheus scraping pubsubd under traffic', { timeout: 120000 }, async () => {
  const { match } = await start(process.env.PUBSUBD, [
    '--host', '127.0.0.1', '--port', '0', '--threads', '1', '--metrics-topics', 'true',
    '--max-queue', '1', '--max-queue-bytes', '4096', '--log-level', 'warn',
  ], /listening on [0-9.]+:(\d+)/);
  const port = Number(match[1]);
  const base = `http://127.0.0.1:${port}`;

  // The metric names every query uses are families the server exposes.
  const page = await (await fetch(`${base}/metrics`)).text();
  const families = new Set([...page.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
    type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]));
  for (const { panel, expr } of queries()) {
    for (const [name] of expr.matchAll(/\b(?:pubsub|process)_[a-z_]+/g)) {
      assert.ok(families.has(name), `${panel}: ${name} is not on /metrics`);
    }
  }

  const promPort = await freePort();
  const config = join(work, 'prometheus.yml');
  writeFileSync(config, [
    'global:', '  scrape_interval: 1s', '  evaluation_interval: 1s',
    'scrape_configs:', '  - job_name: pubsub', '    static_configs:', `      - targets: ['127.0.0.1:${port}']`,
  ].join('\n') + '\n');
  await start(process.env.PROMETHEUS ?? 'prometheus', [
    `--config.file=${config}`, `--storage.tsdb.path=${join(work, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn',
  ], /./, 'stderr').catch(() => {});  // it logs little at warn: readiness is polled below
  const prom = `http://127.0.0.1:${promPort}`;
  for (let i = 0; ; ++i) {
    const ready = await fetch(`${prom}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    assert.ok(i < 200, 'Prometheus became ready');
    await sleep(100);
  }

  // Traffic that every panel shows: publishes both ways, deliveries,
  // drops, a failed request, a refused connection and a disconnect.
  assert.equal((await fetch(`${base}/topics`, { method: 'POST', body: '{"name":"dash"}' })).status, 201);
  const frames = [];
  const subscriber = await openSocket(`ws://127.0.0.1:${port}/ws`, frames);
  subscriber.send(JSON.stringify({ type: 'subscribe', topic: 'dash', client_id: 'grafana', request_id: 's' }));
  subscriber.send(JSON.stringify({ type: 'subscribe', topic: 'nothing-here', client_id: 'grafana', request_id: 'x' }));
  const stalled = await stalledSubscriber(port, 'dash');
  const publisher = await openSocket(`ws://127.0.0.1:${port}/ws`);
  await refusedUpgrade(port);
  const payload = JSON.stringify('x'.repeat(2000));
  const deadline = Date.now() + 6000;
  while (Date.now() < deadline) {
    publisher.send(JSON.stringify({ type: 'publish', topic: 'dash', message: { id: randomUUID(), payload: 1 } }));
    const batch = Array.from({ length: 50 }, () => `{"id":"${randomUUID()}","payload":${payload}}`);
    await fetch(`${base}/topics/dash/messages:batch`, { method: 'POST', body: `{"messages":[${batch.join(',')}]}` });
    await sleep(50);
  }
  publisher.close();
  await sleep(3000);  // two more scrapes after the last change
  assert.ok(frames.some((f) => f.type === 'event'), 'the subscriber received events');
  assert.ok(frames.some((f) => f.type === 'error' && f.error.code === 'TOPIC_NOT_FOUND'));

  for (const { panel, expr } of queries()) {
    const answer = await (await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`)).json();
    assert.equal(answer.status, 'success', `${panel}: ${expr}: ${answer.error}`);
    assert.ok(answer.data.result.length > 0, `${panel}: ${expr} returned no data`);
  }
  subscriber.close();
  stalled.destroy();
});

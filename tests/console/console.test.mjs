// The web console (console/) in a real browser: Debian's Chromium, driven
// by playwright-core, against the real pubsubd. run.sh installs
// playwright-core and runs this file with Node's test runner.
//
// Environment: PUBSUBD (the server binary, required), CHROMIUM (default
// /usr/bin/chromium), SCREENSHOT (where to save a 1280x800 screenshot;
// default console.png in the current folder).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const PUBSUBD = process.env.PUBSUBD;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = path.resolve(process.env.SCREENSHOT || 'console.png');
const API_KEY = `console-test-${randomUUID()}`;
const WAIT_MS = 15000;

let server;
let serverLog = '';
let base;
let userDataDir;
let context;

// Starts pubsubd on a free port and resolves to its base URL once it
// prints `listening on HOST:PORT`.
function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(PUBSUBD, ['--port', '0', '--host', '127.0.0.1', '--api-key', API_KEY], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => reject(new Error(`pubsubd did not say where it listens:\n${serverLog}`)), 10000);
    let out = '';
    server.stdout.setEncoding('utf8');
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (\S+):(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}:${match[2]}`);
      }
    });
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', (chunk) => {
      serverLog += chunk;
    });
    server.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`pubsubd exited (${code ?? signal}) before listening:\n${serverLog}`));
    });
  });
}

// Killed from outside (a timeout, ^C): the server goes too. Playwright
// ends its own Chromium on exit.
process.on('exit', () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
});
for (const [signal, number] of [['SIGHUP', 1], ['SIGINT', 2], ['SIGTERM', 15]]) process.on(signal, () => process.exit(128 + number));

function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => server.kill('SIGKILL'), 5000);
    server.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    server.kill('SIGTERM');
  });
}

before(async () => {
  assert.ok(PUBSUBD, 'PUBSUBD must name the pubsubd binary');
  base = await startServer();
  userDataDir = mkdtempSync(path.join(tmpdir(), 'pubsub-console-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    // Without the background-networking flags Chromium tries to reach
    // Google's services, which this closed network refuses.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    timeout: 30000,
  });
});

after(async () => {
  await context?.close().catch(() => {});
  await stopServer();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

// The routes of the public contract (and the console's own files).
function isPublicRoute(pathname) {
  return ['/', '/console.js', '/console.css', '/client.js', '/health', '/stats', '/topics', '/ws'].includes(pathname) ||
    /^\/topics\/[^/]+(\/messages)?$/.test(pathname);
}

async function restPublish(topic, payload) {
  const response = await fetch(`${base}/topics/${topic}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY },
    body: JSON.stringify({ id: randomUUID(), payload }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()).seq;
}

test('the web console, as a user drives it', { timeout: 180000 }, async () => {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(WAIT_MS);
  const requests = [];
  const sockets = [];
  const pageErrors = [];
  context.on('request', (request) => requests.push(request.url()));
  page.on('websocket', (socket) => sockets.push(socket.url()));
  page.on('pageerror', (error) => pageErrors.push(String(error)));

  const tailRow = (seq) => page.locator(`#tail-body tr.event[data-seq="${seq}"]`);
  const topicRow = (name) => page.locator(`#topics-body tr[data-topic="${name}"]`);

  // Without credentials: health is public, the rest asks for a key.
  await page.goto(`${base}/`);
  await assert.doesNotReject(page.locator('#health-status[data-status="ok"]').waitFor());
  await page.locator('#auth-alert').waitFor({ state: 'visible' });

  // Enter the API key; it is kept in sessionStorage, also across a reload.
  await page.getByLabel('API key', { exact: true }).check();
  await page.getByLabel('API key or token').fill(API_KEY);
  await page.getByRole('button', { name: 'Use', exact: true }).click();
  await page.locator('#auth-alert').waitFor({ state: 'hidden' });
  await page.reload();
  await page.locator('#stats-updated', { hasText: 'updated' }).waitFor();
  assert.equal(await page.locator('#auth-alert').isVisible(), false);
  assert.equal(await page.getByLabel('API key or token').inputValue(), API_KEY);

  // Create two topics from the page.
  for (const name of ['orders', 'inventory']) {
    await page.getByLabel('New topic').fill(name);
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await topicRow(name).waitFor();
  }
  await page.locator('#topics-message', { hasText: 'Created topic inventory.' }).waitFor();

  // Tail orders; the client connects.
  await page.getByRole('button', { name: 'Tail orders' }).click();
  await page.locator('#tail-body tr[data-mark="subscribed"]', { hasText: 'Following orders' }).waitFor();
  await page.locator('#connection[data-state="open"]').waitFor();
  assert.equal(await page.getByLabel('Topic', { exact: true }).inputValue(), 'orders');

  // Publish from the form: the ack's seq is shown and the event reaches
  // the tail. The payload holds markup, which must be shown as text.
  await page.getByLabel(/^Payload/).fill('{"price": 99.5, "note": "<b>bold</b>"}');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await page.locator('#publish-result', { hasText: 'seq 1' }).waitFor();
  await tailRow(1).waitFor();
  assert.equal(await tailRow(1).locator('td.seq').textContent(), '1');
  assert.equal(await tailRow(1).locator('td.payload').textContent(), '{"price":99.5,"note":"<b>bold</b>"}');
  assert.equal(await page.locator('#tail-body b').count(), 0, 'a payload was rendered as HTML');
  assert.match(await tailRow(1).locator('td.ts').textContent(), /^\d\d:\d\d:\d\d\.\d{3}$/);

  // Published over REST by someone else: seq 2 arrives in the tail.
  assert.equal(await restPublish('orders', { price: 101.25, qty: 3 }), 2);
  await tailRow(2).waitFor();
  assert.equal(await tailRow(2).locator('td.payload').textContent(), '{"price":101.25,"qty":3}');

  // Text that is not JSON is sent as a JSON string.
  await page.getByLabel(/^Payload/).fill('hello from the console');
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await page.locator('#publish-result', { hasText: 'seq 3 (sent as a JSON string)' }).waitFor();
  await tailRow(3).waitFor();
  assert.equal(await tailRow(3).locator('td.payload').textContent(), '"hello from the console"');
  assert.equal(await restPublish('orders', { price: 98.75, qty: 1, side: 'sell' }), 4);
  await tailRow(4).waitFor();
  const more = [{ price: 99.1, qty: 2, side: 'buy' }, { price: 99.4, qty: 5, side: 'buy', tags: ['limit', 'gtc'] },
    { price: 100.0, qty: 1, side: 'sell', note: 'partial fill' }];
  for (const [i, payload] of more.entries()) assert.equal(await restPublish('orders', payload), 5 + i);
  await tailRow(7).waitFor();
  assert.equal(await restPublish('inventory', { sku: 'A-1', count: 12 }), 1);

  // The live counts follow (polled every 2 s).
  await topicRow('orders').locator('td').nth(0).filter({ hasText: /^7$/ }).waitFor();
  await topicRow('inventory').locator('td').nth(0).filter({ hasText: /^1$/ }).waitFor();
  await topicRow('orders').locator('td').nth(1).filter({ hasText: /^1$/ }).waitFor();  // the tail
  await page.locator('#health-topics', { hasText: /^2$/ }).waitFor({ timeout: 8000 });

  await page.screenshot({ path: SCREENSHOT });

  // Delete the tailed topic from the page: the tail marks it.
  await page.getByRole('button', { name: 'Delete orders' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.locator('#tail-body tr[data-mark="deleted"]', { hasText: 'orders was deleted' }).waitFor();
  await topicRow('orders').waitFor({ state: 'detached' });
  assert.equal(await page.locator('#tail-stop').isDisabled(), true);
  assert.equal(await page.locator('#tail-body tr.event').count(), 7);

  // A narrow window: nothing overflows sideways.
  await page.setViewportSize({ width: 380, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 380px window`);
  await page.setViewportSize({ width: 1280, height: 800 });

  // Only the server's public routes, nothing else anywhere.
  assert.ok(requests.length > 0);
  for (const url of requests) {
    if (url.startsWith('data:')) continue;  // the empty icon: no network
    const parsed = new URL(url);
    assert.equal(parsed.origin, base, `the page asked another origin: ${url}`);
    assert.ok(isPublicRoute(parsed.pathname), `the page asked a route outside the public API: ${url}`);
  }
  assert.ok(sockets.length > 0, 'the page opened no WebSocket');
  for (const url of sockets) {
    const parsed = new URL(url);
    assert.equal(parsed.host, new URL(base).host, `a WebSocket to another host: ${url}`);
    assert.equal(parsed.pathname, '/ws', `a WebSocket outside /ws: ${url}`);
  }
  assert.deepEqual(pageErrors, []);
});

// What the tests of clients/js share: a private pubsubd per test file, its
// REST API, a TCP proxy that can cut, freeze or refuse connections, HS256
// tokens, and waiting with deadlines.
//
// Environment (tests/js/run.sh sets it): PUBSUBD, the server binary;
// PUBSUB_CLIENT, the client module to test (default clients/js/client.js);
// PUBSUB_JS_MODE, 'global' (Node's WebSocket) or 'ws' (the npm package).
import { spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, connect } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';

export const clientSource = fileURLToPath(new URL('../../clients/js/client.js', import.meta.url));
const clientPath = process.env.PUBSUB_CLIENT || clientSource;
export const { PubSubClient, PubSubError } = await import(pathToFileURL(clientPath).href);
export const mode = process.env.PUBSUB_JS_MODE || (typeof globalThis.WebSocket === 'function' ? 'global' : 'ws');

const live = new Set(); // servers still running, killed if the process exits
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts pubsubd on 127.0.0.1 and a free port with `args` added; resolves
 * with {port, wsUrl, httpUrl, stop()} once it printed `listening on`.
 */
export async function startServer(args = []) {
  const binary = process.env.PUBSUBD;
  if (!binary) throw new Error('set PUBSUBD to the pubsubd binary');
  const child = spawn(binary, ['--host', '127.0.0.1', '--port', '0', '--threads', '1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let log = '';
  child.stderr.on('data', (chunk) => {
    log = (log + chunk).slice(-4000);
  });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pubsubd did not start within 10 s: ${log}`)), 10000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pubsubd exited with ${code}: ${log}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^listening on (.+):(\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[2]));
      }
    });
  });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(child);
      resolve();
      return;
    }
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      live.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
  return { port, wsUrl: `ws://127.0.0.1:${port}/ws`, httpUrl: `http://127.0.0.1:${port}`, stop };
}

/** Calls the REST API; resolves with {status, body} (body parsed when JSON). */
export async function rest(server, method, path, body, headers = {}) {
  const res = await fetch(server.httpUrl + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, text };
}

/** Creates topic over REST, failing unless it answered 201. */
export async function createTopic(server, topic, headers) {
  const { status, text } = await rest(server, 'POST', '/topics', { name: topic }, headers);
  if (status !== 201) throw new Error(`POST /topics ${topic}: ${status} ${text}`);
}

/**
 * Publishes over REST; `payloadText` is the payload's JSON text, sent as is.
 * Resolves with the seq.
 */
export async function publishText(server, topic, payloadText, headers, id = randomUUID()) {
  const { status, body, text } = await rest(server, 'POST', `/topics/${topic}/messages`,
    `{"id":"${id}","payload":${payloadText}}`, headers);
  if (status !== 201) throw new Error(`publish to ${topic}: ${status} ${text}`);
  return body.seq;
}

/** A signed HS256 JSON Web Token with `claims` (exp: in an hour by default). */
export function hs256(secret, claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * A TCP proxy on 127.0.0.1 to `port`: kill() destroys the connections it
 * carries; freeze() stops forwarding on them without closing them (new
 * connections still pass); freezeDown() stops only server-to-client;
 * refuse(true) closes new connections at once.
 */
export async function startProxy(port) {
  const pairs = new Set();
  let refusing = false;
  const server = createServer((down) => {
    if (refusing) {
      down.destroy();
      return;
    }
    const up = connect(port, '127.0.0.1');
    const pair = { down, up };
    pairs.add(pair);
    const end = () => {
      down.destroy();
      up.destroy();
      pairs.delete(pair);
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address();
  return {
    wsUrl: `ws://127.0.0.1:${own}/ws`,
    get connections() {
      return pairs.size;
    },
    kill() {
      for (const { down, up } of [...pairs]) {
        down.destroy();
        up.destroy();
      }
    },
    freeze() {
      for (const pair of pairs) {
        pair.down.unpipe(pair.up);
        pair.down.pause();
        pair.upFrozen = true;
      }
      this.freezeDown();
    },
    freezeDown() {
      for (const pair of pairs) {
        pair.up.unpipe(pair.down);
        pair.up.pause();
        pair.downFrozen = true;
      }
    },
    thaw() {
      for (const pair of pairs) {
        if (pair.upFrozen) pair.down.pipe(pair.up);
        if (pair.downFrozen) pair.up.pipe(pair.down);
        pair.upFrozen = pair.downFrozen = false;
      }
    },
    refuse(on) {
      refusing = on;
    },
    close() {
      this.kill();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Resolves once predicate() is truthy (polled), rejects after `ms`. */
export async function waitFor(predicate, what, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Resolves with the next `name` event of emitter, rejects after `ms`. */
export function next(emitter, name, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${name}' event within ${ms} ms`));
    }, ms);
    const off = emitter.on(name, (data) => {
      clearTimeout(timer);
      off();
      resolve(data);
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A topic name unique in this process. */
let topics = 0;
export const topicName = (prefix = 't') => `${prefix}-${process.pid}-${++topics}`;

/** Options for fast tests: short reconnect delays. */
export const fast = { reconnect: { minDelayMs: 20, maxDelayMs: 200 } };

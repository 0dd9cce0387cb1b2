// The web console of pubsubd, served at GET / with index.html and
// console.css. It is an ordinary client of the public contract
// (docs/operations.md, "Web console"): REST with fetch for health, stats
// and topics, and the JavaScript client (/client.js) over /ws for the live
// tail and for publishing. Everything it shows from the server is set as
// text (textContent), never parsed as HTML.
import { PubSubClient, PubSubError } from '/client.js';

const STORAGE_KEY = 'pubsub.console.credentials';
const STATS_EVERY_MS = 2000;
const HEALTH_EVERY_MS = 5000;
const TAIL_LAST_N = 20;
const TAIL_MAX_ROWS = 1000;
const PAYLOAD_SHOWN = 2000;
const SLOW_ANSWER_MS = 5000;

const $ = (id) => document.getElementById(id);
const numberFormat = new Intl.NumberFormat('en-US');

// Creates an element; `text` and `title` are set as text, never as HTML.
function el(tag, { className, text, title, attrs } = {}, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  if (title !== undefined) node.title = title;
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

function showMessage(node, text, kind) {
  node.textContent = text;
  node.classList.toggle('ok', kind === 'ok');
  node.classList.toggle('error', kind === 'error');
}

function errorText(error) {
  if (error instanceof PubSubError || error instanceof RestError) {
    return error.code ? `${error.code}: ${error.message}` : error.message;
  }
  return error?.message ? String(error.message) : String(error);
}

function clockTime(date = new Date()) {
  return date.toTimeString().slice(0, 8);
}

// ---- credentials ------------------------------------------------------------

function loadCredentials() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY));
    if (stored && (stored.kind === 'apiKey' || stored.kind === 'token') &&
        typeof stored.value === 'string' && stored.value !== '') {
      return { kind: stored.kind, value: stored.value };
    }
  } catch {
    // Nothing usable stored.
  }
  return null;
}

let credentials = loadCredentials();

function authHeaders() {
  if (!credentials) return {};
  return credentials.kind === 'token'
    ? { Authorization: `Bearer ${credentials.value}` }
    : { 'X-API-Key': credentials.value };
}

const credentialInput = $('credential');
const credentialsNote = $('credentials-note');
const credentialsMenu = $('credentials-menu');

function openCredentials() {
  credentialsMenu.open = true;
  credentialInput.focus();
}

function selectedKind() {
  return document.querySelector('input[name="kind"]:checked')?.value === 'token' ? 'token' : 'apiKey';
}

function setKind(kind) {
  for (const radio of document.querySelectorAll('input[name="kind"]')) radio.checked = radio.value === kind;
  credentialInput.placeholder = kind === 'token' ? 'sent as Authorization: Bearer' : 'sent as X-API-Key';
}

function showCredentials() {
  setKind(credentials?.kind ?? selectedKind());
  credentialInput.value = credentials?.value ?? '';
  $('credentials-summary').textContent = !credentials ? 'none' : credentials.kind === 'token' ? 'token' : 'API key';
  credentialsMenu.classList.toggle('unset', !credentials);
  credentialsNote.textContent = !credentials
    ? 'None set. Kept for this browser tab only (sessionStorage).'
    : credentials.kind === 'token'
      ? 'Using a token (Authorization: Bearer) in this tab only (sessionStorage).'
      : 'Using an API key (X-API-Key) in this tab only (sessionStorage).';
}

function setCredentials(next) {
  credentials = next;
  try {
    if (next) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage refused (a private mode): the credentials last as long as the page.
  }
  showCredentials();
  hideAuthNeeded();
  connect();
  refreshStats();
}

// A token looks like three base64url parts, the first a JSON header.
const looksLikeJwt = (value) => /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value);

credentialInput.addEventListener('input', () => {
  if (looksLikeJwt(credentialInput.value.trim())) setKind('token');
});
for (const radio of document.querySelectorAll('input[name="kind"]')) {
  radio.addEventListener('change', () => setKind(selectedKind()));
}
$('credentials-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = credentialInput.value.trim();
  setCredentials(value ? { kind: selectedKind(), value } : null);
  if (value) credentialsMenu.open = false;
});
$('credentials-clear').addEventListener('click', () => setCredentials(null));
credentialsMenu.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || !credentialsMenu.open) return;
  credentialsMenu.open = false;
  credentialsMenu.querySelector('summary').focus();
});
document.addEventListener('click', (event) => {
  if (credentialsMenu.open && !credentialsMenu.contains(event.target) && authAlert.hidden) credentialsMenu.open = false;
});

// ---- the "credentials needed" prompt ---------------------------------------

const authAlert = $('auth-alert');

function showAuthNeeded() {
  $('auth-alert-text').textContent = credentials
    ? 'It refused the credentials of this tab (401): check the API key or token.'
    : 'Enter an API key or a token.';
  if (!authAlert.hidden) return;
  authAlert.hidden = false;
  credentialsMenu.classList.add('attention');
  if (document.activeElement === document.body || !document.activeElement) openCredentials();
}

function hideAuthNeeded() {
  authAlert.hidden = true;
  credentialsMenu.classList.remove('attention');
}

$('auth-alert-button').addEventListener('click', (event) => {
  event.stopPropagation();
  openCredentials();
});

// ---- REST --------------------------------------------------------------------

class RestError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'RestError';
    this.status = status;
    this.code = code;
  }
}

// One REST call with this tab's credentials: resolves to the JSON body of
// a 2xx answer, rejects with a RestError otherwise. A 401 shows the prompt.
async function rest(method, path, body) {
  const init = { method, cache: 'no-store', headers: { Accept: 'application/json', ...authHeaders() } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new RestError(0, '', 'the server cannot be reached');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: reported below by status.
  }
  if (response.status === 401) showAuthNeeded();
  else if (response.ok) hideAuthNeeded();
  if (!response.ok) {
    const error = data?.error;
    throw new RestError(response.status, typeof error?.code === 'string' ? error.code : `HTTP ${response.status}`,
      typeof error?.message === 'string' ? error.message : response.statusText || 'request failed');
  }
  return data;
}

const topicPath = (name) => `/topics/${encodeURIComponent(name)}`;

// ---- health ------------------------------------------------------------------

function formatUptime(seconds) {
  if (!Number.isFinite(seconds)) return '-';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

function showCount(id, value) {
  $(id).textContent = Number.isFinite(value) ? numberFormat.format(value) : '-';
}

async function refreshHealth() {
  const status = $('health-status');
  try {
    // Public: no credentials needed.
    const response = await fetch('/health', { cache: 'no-store', headers: { Accept: 'application/json' } });
    const data = await response.json();
    const state = typeof data.status === 'string' ? data.status : response.ok ? 'ok' : `HTTP ${response.status}`;
    status.textContent = state.replaceAll('_', ' ');
    status.dataset.status = state;
    $('health-uptime').textContent = formatUptime(data.uptime_sec);
    showCount('health-connections', data.connections);
    showCount('health-topics', data.topics);
    showCount('health-subscribers', data.subscribers);
  } catch {
    status.textContent = 'unreachable';
    status.dataset.status = 'unreachable';
  }
}

function every(ms, task) {
  const run = async () => {
    try {
      await task();
    } finally {
      setTimeout(run, ms);
    }
  };
  run();
}

// ---- topics ------------------------------------------------------------------

const topicsBody = $('topics-body');
const topicsMessage = $('topics-message');
const topicRows = new Map();  // name -> { tr, cells, tail }
let statsBusy = false;
let statsAgain = false;

function makeTopicRow(name) {
  const cells = {
    messages: el('td', { className: 'num', attrs: { 'data-label': 'Messages' } }),
    subscribers: el('td', { className: 'num', attrs: { 'data-label': 'Subscribers' } }),
    dropped: el('td', { className: 'num', attrs: { 'data-label': 'Dropped' } }),
    seq: el('span'),
    epoch: el('span'),
  };
  const tail = el('button', { className: 'small', text: 'Tail', attrs: { type: 'button', 'aria-label': `Tail ${name}`, 'aria-pressed': 'false' } });
  tail.addEventListener('click', () => startTail(name));
  const remove = el('button', { className: 'small danger', text: 'Delete', attrs: { type: 'button', 'aria-label': `Delete ${name}` } });
  remove.addEventListener('click', () => confirmDelete(name));
  const tr = el('tr', { attrs: { 'data-topic': name } }, [
    el('th', { className: 'name', attrs: { scope: 'row' } }, [
      el('span', { text: name }),
      el('span', { className: 'position', title: 'position: the newest seq and the epoch of the topic' }, [cells.seq, ' ', cells.epoch]),
    ]),
    cells.messages, cells.subscribers, cells.dropped,
    el('td', { className: 'actions' }, [tail, remove]),
  ]);
  return { tr, cells, tail };
}

function setCell(cell, text, flash) {
  if (cell.textContent === text) return;
  cell.textContent = text;
  if (flash) {
    cell.classList.remove('changed');
    void cell.offsetWidth;  // restarts the animation
    cell.classList.add('changed');
  }
}

function renderTopics(topics) {
  const names = Object.keys(topics).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, row] of topicRows) {
    if (!Object.hasOwn(topics, name)) {
      row.tr.remove();
      topicRows.delete(name);
    }
  }
  let previous = null;
  for (const name of names) {
    const t = topics[name] ?? {};
    let row = topicRows.get(name);
    const added = !row;
    if (added) {
      row = makeTopicRow(name);
      topicRows.set(name, row);
    }
    const count = (v) => (Number.isFinite(v) ? numberFormat.format(v) : '-');
    setCell(row.cells.messages, count(t.messages), !added);
    setCell(row.cells.subscribers, count(t.subscribers), !added);
    setCell(row.cells.dropped, count(t.dropped), !added);
    setCell(row.cells.seq, Number.isFinite(t.seq) ? `seq ${count(t.seq)}` : '', false);
    setCell(row.cells.epoch, typeof t.epoch === 'string' ? `epoch ${t.epoch}` : '', false);
    const wanted = previous ? previous.tr.nextSibling : topicsBody.firstChild;
    if (row.tr !== wanted) topicsBody.insertBefore(row.tr, wanted);
    previous = row;
  }
  $('topics-empty').hidden = names.length > 0;
  markTailedTopic();
  const list = $('topic-names');
  list.replaceChildren(...names.map((name) => el('option', { attrs: { value: name } })));
}

async function pollStats() {
  if (statsBusy) {
    statsAgain = true;
    return;
  }
  statsBusy = true;
  const updated = $('stats-updated');
  try {
    const data = await rest('GET', '/stats');
    renderTopics(data?.topics && typeof data.topics === 'object' ? data.topics : {});
    updated.textContent = `updated ${clockTime()}`;
  } catch (error) {
    updated.textContent = error.status === 401 ? 'needs credentials' : `not updated: ${error.message}`;
  } finally {
    statsBusy = false;
  }
  if (statsAgain) {
    statsAgain = false;
    await pollStats();
  }
}

function refreshStats() {
  pollStats();
}

$('create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('create-name');
  const name = input.value.trim();
  if (!name) return;
  try {
    await rest('POST', '/topics', { name });
    showMessage(topicsMessage, `Created topic ${name}.`, 'ok');
    input.value = '';
    if (!$('publish-topic').value) $('publish-topic').value = name;
  } catch (error) {
    showMessage(topicsMessage, `Could not create ${name}: ${errorText(error)}`, 'error');
  }
  refreshStats();
});

const confirmDialog = $('confirm-delete');
let pendingDelete = null;

function confirmDelete(name) {
  pendingDelete = name;
  $('confirm-topic').textContent = name;
  confirmDialog.returnValue = '';
  confirmDialog.showModal();
  $('confirm-delete-button').focus();
}

confirmDialog.addEventListener('close', async () => {
  const name = pendingDelete;
  pendingDelete = null;
  if (confirmDialog.returnValue !== 'delete' || name === null) return;
  try {
    await rest('DELETE', topicPath(name));
    showMessage(topicsMessage, `Deleted topic ${name}.`, 'ok');
  } catch (error) {
    showMessage(topicsMessage, `Could not delete ${name}: ${errorText(error)}`, 'error');
  }
  refreshStats();
});

// ---- the WebSocket client ------------------------------------------------------

const connection = $('connection');
let client = null;
let clientListeners = [];

function setConnectionState(state, detail) {
  connection.dataset.state = state;
  $('connection-state').textContent = state;
  connection.title = detail ?? '';
}

function randomId() {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// (Re)creates the client with this tab's credentials; a tail follows it.
function connect() {
  const previous = client;
  for (const off of clientListeners) off();
  clientListeners = [];
  if (previous) previous.close().catch(() => {});
  const options = { clientId: `console-${randomId()}` };
  if (credentials?.kind === 'token') options.token = credentials.value;
  else if (credentials) options.apiKey = credentials.value;
  client = new PubSubClient(options);
  clientListeners.push(
    client.on('state', ({ state }) => setConnectionState(state)),
    client.on('error', ({ error }) => {
      if (error?.code === 'UNAUTHORIZED') showAuthNeeded();
      connection.title = errorText(error);
    }),
  );
  // Connects now, so that the indicator shows the real state; a failed
  // attempt is reported through 'error' and retried by the client.
  client.connect().catch(() => {});
  if (previous && tail) startTail(tail.topic);
}

// ---- the live tail -------------------------------------------------------------

const tailBody = $('tail-body');
const tailScroll = $('tail-scroll');
const tailStop = $('tail-stop');
let tail = null;  // { topic, sub, active }: the tail shown, if any

function nearBottom() {
  return tailScroll.scrollHeight - tailScroll.scrollTop - tailScroll.clientHeight < 48;
}

function appendTailRow(tr) {
  const follow = nearBottom();
  tailBody.append(tr);
  while (tailBody.rows.length > TAIL_MAX_ROWS) tailBody.rows[0].remove();
  if (follow) tailScroll.scrollTop = tailScroll.scrollHeight;
}

function shortTime(ts) {
  const match = /T(\d\d:\d\d:\d\d(?:\.\d+)?)/.exec(ts ?? '');
  return match ? match[1] : String(ts ?? '');
}

function payloadText(payload) {
  let text;
  try {
    text = JSON.stringify(payload);
  } catch {
    text = undefined;
  }
  if (text === undefined) text = String(payload);
  if (text.length > PAYLOAD_SHOWN) {
    text = `${text.slice(0, PAYLOAD_SHOWN)}\u2026 (${numberFormat.format(text.length - PAYLOAD_SHOWN)} more characters)`;
  }
  return text;
}

function addEventRow(ev) {
  const tr = el('tr', { className: 'event', attrs: { 'data-seq': String(ev.seq) } }, [
    el('td', { className: 'seq', text: String(ev.seq) }),
    el('td', { className: 'ts', text: shortTime(ev.ts), title: String(ev.ts ?? '') }),
    el('td', { className: 'id', text: String(ev.id ?? ''), title: String(ev.id ?? '') }),
    el('td', { className: 'payload', text: payloadText(ev.payload) }),
  ]);
  appendTailRow(tr);
}

// A marked row: something that happened to the subscription itself.
function addMark(kind, label, text) {
  const body = document.createTextNode(text);
  const tr = el('tr', { className: `mark mark-${kind}`, attrs: { 'data-mark': kind } }, [
    el('td', { attrs: { colspan: '4' } }, [el('span', { className: 'tag', text: label }), body]),
  ]);
  appendTailRow(tr);
  if (kind !== 'subscribed') $('tail-announce').textContent = `${label}: ${text}`;
  return { tr, body };
}

function markTailedTopic() {
  for (const [name, row] of topicRows) {
    const on = tail !== null && tail.active && tail.topic === name;
    row.tr.classList.toggle('tailed', on);
    row.tail.setAttribute('aria-pressed', String(on));
  }
}

function showTailState() {
  $('tail-topic').textContent = tail ? tail.topic : '';
  tailStop.disabled = !(tail && tail.active);
  $('tail-hint').hidden = tail !== null;
  tailScroll.hidden = tail === null;
  markTailedTopic();
}

const plural = (n, word) => `${numberFormat.format(n)} ${word}${n === 1 ? '' : 's'}`;

async function startTail(topic) {
  const previous = tail;
  if (previous?.sub && previous.active) previous.sub.unsubscribe().catch(() => {});
  const publishTopic = $('publish-topic');
  if (!publishTopic.value || publishTopic.value === previous?.topic) publishTopic.value = topic;
  tail = { topic, sub: null, active: true };
  tailBody.replaceChildren();
  showTailState();
  const current = tail;
  const mark = addMark('subscribed', 'tail', `Subscribing to ${topic}: the last ${TAIL_LAST_N} retained messages, then live ones.`);
  let sub;
  try {
    sub = await client.subscribe(topic, { lastN: TAIL_LAST_N }, (ev) => {
      if (tail === current) addEventRow(ev);
    });
  } catch (error) {
    if (tail !== current) return;
    if (error?.code === 'UNAUTHORIZED') showAuthNeeded();
    current.active = false;
    addMark('error', 'error', `Could not subscribe to ${topic}: ${errorText(error)}`);
    showTailState();
    return;
  }
  if (tail !== current) {
    sub.unsubscribe().catch(() => {});
    return;
  }
  current.sub = sub;
  mark.body.textContent = `Following ${topic}` + (typeof sub.epoch === 'string' ? ` (epoch ${sub.epoch})` : '') +
    `: the last ${TAIL_LAST_N} retained messages, then live ones.`;
  sub.on('dropped', ({ count }) => {
    if (tail !== current) return;
    addMark('dropped', 'dropped', `${plural(count, 'message')} dropped: the server discarded them because this tab read too slowly.`);
  });
  sub.on('gap', ({ reason, epoch, lastSeq }) => {
    if (tail !== current) return;
    addMark('gap', 'gap', reason === 'epoch_changed'
      ? `The topic has a new epoch (${epoch}): it was re-created or the server restarted, so messages published meanwhile may be missing.`
      : `Messages after seq ${lastSeq} are no longer all retained: some may be missing` +
        (typeof reason === 'string' && reason !== 'not_recovered' ? ` (${reason.replaceAll('_', ' ')}).` : '.'));
  });
  sub.on('resumed', ({ epoch, sinceSeq, recovered }) => {
    if (tail !== current) return;
    addMark('resumed', 'resumed', recovered
      ? `Reconnected and resumed after seq ${sinceSeq}: nothing was missed.`
      : `Reconnected after seq ${sinceSeq}, but not every message could be recovered (epoch ${epoch}).`);
  });
  sub.on('deleted', () => {
    if (tail !== current) return;
    current.active = false;
    current.sub = null;
    addMark('deleted', 'deleted', `Topic ${topic} was deleted. The tail has ended.`);
    showTailState();
    refreshStats();
  });
  sub.on('error', ({ error }) => {
    if (tail !== current) return;
    current.active = false;
    current.sub = null;
    addMark('error', 'error', `The subscription to ${topic} ended: ${errorText(error)}`);
    showTailState();
  });
}

tailStop.addEventListener('click', async () => {
  const current = tail;
  if (!current?.active) return;
  current.active = false;
  showTailState();
  try {
    if (current.sub) await current.sub.unsubscribe();
    addMark('stopped', 'stopped', `Stopped following ${current.topic}.`);
  } catch (error) {
    addMark('error', 'error', `Could not unsubscribe from ${current.topic}: ${errorText(error)}`);
  }
});

$('tail-clear').addEventListener('click', () => tailBody.replaceChildren());

// ---- publish -------------------------------------------------------------------

$('publish-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const result = $('publish-result');
  const topic = $('publish-topic').value.trim();
  const text = $('publish-payload').value;
  if (!topic) return;
  let payload;
  let asString = false;
  try {
    payload = JSON.parse(text);
  } catch {
    payload = text;
    asString = true;
  }
  const button = event.submitter ?? event.target.querySelector('button[type="submit"]');
  button.disabled = true;
  showMessage(result, 'Publishing\u2026');
  const slow = setTimeout(() => showMessage(result, 'Still waiting for the server\u2026'), SLOW_ANSWER_MS);
  try {
    const { seq } = await client.publish(topic, payload);
    showMessage(result, `Published to ${topic}: seq ${seq}${asString ? ' (sent as a JSON string)' : ''}`, 'ok');
  } catch (error) {
    if (error?.code === 'UNAUTHORIZED') showAuthNeeded();
    showMessage(result, `Not published: ${errorText(error)}`, 'error');
  } finally {
    clearTimeout(slow);
    button.disabled = false;
  }
  refreshStats();
});

$('publish-payload').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    $('publish-form').requestSubmit();
  }
});

// ---- start ---------------------------------------------------------------------

showCredentials();
showTailState();
connect();
every(HEALTH_EVERY_MS, refreshHealth);
every(STATS_EVERY_MS, pollStats);

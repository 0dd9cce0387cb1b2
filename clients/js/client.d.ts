// Type declarations of client.js, the JavaScript client of pubsubd.

/** Any JSON value: what a payload may be. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Codes of PubSubError: the server's error codes and the client's own. */
export type PubSubErrorCode =
  // from the server
  | 'BAD_REQUEST'
  | 'TOPIC_NOT_FOUND'
  | 'SLOW_CONSUMER'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'LIMIT_EXCEEDED'
  | 'RATE_LIMITED'
  | 'TOKEN_EXPIRED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  // the client's
  | 'TIMEOUT'
  | 'DISCONNECTED'
  | 'CLOSED'
  | 'CONNECT_FAILED'
  | 'BAD_FRAME'
  | (string & {});

/** An error of a request, of the connection or of the server. */
export class PubSubError extends Error {
  constructor(code: PubSubErrorCode, message?: string, requestId?: string);
  readonly name: 'PubSubError';
  /** The server's error code, or TIMEOUT, DISCONNECTED, CLOSED, CONNECT_FAILED, BAD_FRAME. */
  code: PubSubErrorCode;
  /** The request_id of the request that failed, when there was one. */
  requestId?: string;
}

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ReconnectOptions {
  /** First delay, doubled on each failed attempt (jittered: between half of it and all of it). Default 100. */
  minDelayMs?: number;
  /** Largest delay. Default 5000. */
  maxDelayMs?: number;
}

/** Something that builds WebSockets: the browser's, Node's, or the npm package ws. */
export type WebSocketConstructor = new (url: string, ...rest: any[]) => any;

export interface PubSubClientOptions {
  /**
   * ws://host:8080/ws, wss://..., or http(s):// (converted); /ws is added
   * when the URL has no path. In a browser, relative URLs work and the
   * default is the page's own origin's /ws.
   */
  url?: string;
  /** Sent as X-API-Key (ws) or ?api_key= (a WebSocket that cannot set headers). */
  apiKey?: string;
  /**
   * A JSON Web Token, or a function returning one, called before every
   * (re)connect. Sent as Authorization: Bearer (ws) or ?token=.
   */
  token?: string | (() => string | Promise<string>);
  /** client_id of subscribe and unsubscribe. Default 'js-' + random. */
  clientId?: string;
  /** Reconnect delays, or false: never reconnect by itself. */
  reconnect?: ReconnectOptions | false;
  /** Send a ping request when nothing arrived for this long. Default 20000. */
  pingIntervalMs?: number;
  /** After a ping, nothing at all for this long: the connection is dead, closed (4000) and reconnected. Default 10000. */
  pongTimeoutMs?: number;
  /** Deadline of subscribe, unsubscribe and publish, waiting for the connection included. Default 10000. */
  requestTimeoutMs?: number;
  /** Deadline of one connection attempt, the upgrade included: past it the attempt fails with CONNECT_FAILED and the next follows. Default 10000. */
  connectTimeoutMs?: number;
  /** The WebSocket constructor. Default: globalThis.WebSocket, else the npm package ws. */
  WebSocket?: WebSocketConstructor;
}

export interface StateEvent {
  state: ConnectionState;
  /** With 'reconnecting': the attempt (1, 2, ...) this delay precedes. */
  attempt?: number;
  /** With 'reconnecting': the delay before the attempt. */
  delayMs?: number;
}

export interface ClientEvents {
  state: StateEvent;
  /** Each successful (re)connect. */
  open: { url: string };
  /** An open connection ended (or close() was called). */
  close: { code: number; reason: string; willReconnect: boolean };
  /** A failed connection attempt, or a server error without request_id (SLOW_CONSUMER, TOKEN_EXPIRED, ...). */
  error: { error: PubSubError };
  /** The server's heartbeat (info msg "ping"). */
  heartbeat: { ts: string };
}

export interface PubSubEvent {
  topic: string;
  /** message.id as published. */
  id: string;
  /** message.payload, parsed. */
  payload: JsonValue;
  /** The message's position in its topic (1, 2, ...). */
  seq: number;
  /** The publish time, RFC 3339 UTC with milliseconds. */
  ts: string;
}

export interface GapEvent {
  topic: string;
  /** not_recovered: the history no longer held every message; epoch_changed: the topic began a new life. */
  reason: 'not_recovered' | 'epoch_changed';
  /** The epoch the stream goes on in. */
  epoch: string;
  /** The seq of the last event handed on before the gap (in previousEpoch). */
  lastSeq: number;
  /** The epoch lastSeq belongs to. */
  previousEpoch?: string;
}

export interface SubscriptionEvents {
  event: PubSubEvent;
  /** The server dropped count events of this topic (drop_oldest backpressure). */
  dropped: { topic: string; count: number };
  /** After each reconnect's re-subscribe. */
  resumed: { topic: string; epoch: string; sinceSeq: number; recovered: boolean };
  /** Messages may have been missed; the stream goes on. */
  gap: GapEvent;
  /** The topic was deleted; the subscription has ended. */
  deleted: { topic: string };
  /** A re-subscribe after a reconnect failed (e.g. FORBIDDEN); the subscription has ended. */
  error: { topic: string; error: PubSubError };
}

export interface SubscribeOptions {
  /** Replay the newest lastN retained messages first. */
  lastN?: number;
  /** Replay every retained message after this seq (with epoch: of that life of the topic). */
  sinceSeq?: number;
  epoch?: string;
}

export interface Subscription {
  readonly topic: string;
  /** The epoch of the topic's life the stream is in. */
  readonly epoch: string;
  /** The seq of the last event handed on (the ack's seq before any). */
  readonly seq: number;
  /** False once unsubscribed, deleted, ended by an error or by close(). */
  readonly active: boolean;
  /** The ack's recovered, when subscribed with sinceSeq. */
  recovered: boolean | undefined;
  on<K extends keyof SubscriptionEvents>(name: K, listener: (event: SubscriptionEvents[K]) => void): () => void;
  off<K extends keyof SubscriptionEvents>(name: K, listener: (event: SubscriptionEvents[K]) => void): void;
  /** Ends the subscription; resolves once the server acknowledged it. */
  unsubscribe(): Promise<void>;
}

export interface PublishResult {
  seq: number;
  ts: string;
  id: string;
}

export class PubSubClient {
  constructor(options?: PubSubClientOptions);
  /** 'closed' before the first connect and after close(). */
  readonly state: ConnectionState;
  /** The WebSocket URL, without credentials. */
  readonly url: string;
  readonly clientId: string;
  on<K extends keyof ClientEvents>(name: K, listener: (event: ClientEvents[K]) => void): () => void;
  off<K extends keyof ClientEvents>(name: K, listener: (event: ClientEvents[K]) => void): void;
  /** Resolves when open; rejects with the first failed attempt's error (retrying goes on) or CLOSED. */
  connect(): Promise<void>;
  subscribe(topic: string, options?: SubscribeOptions, onEvent?: (event: PubSubEvent) => void): Promise<Subscription>;
  subscribe(topic: string, onEvent: (event: PubSubEvent) => void): Promise<Subscription>;
  publish(topic: string, payload: JsonValue, options?: { id?: string }): Promise<PublishResult>;
  /** Closes with 1000, stops reconnecting, rejects pending requests with CLOSED, ends every subscription. */
  close(): Promise<void>;
}

// Issues a JSON Web Token for pubsubd (contract section 11) with nothing
// but Node's own crypto (Node 18 or later).
//
//   HS256, the secret from the environment (the server's --jwt-secret):
//     PUBSUB_JWT_SECRET=... node examples/issue_token.mjs --sub alice --subscribe 'chat.*' --publish chat.alice
//   RS256 or ES256, with the private half of the server's --jwt-public-key:
//     node examples/issue_token.mjs --key es256.key --sub alice --ttl 600 --admin
//
// Options: --sub NAME, --ttl SECONDS (default 3600), --subscribe PATTERN and
// --publish PATTERN (each may be repeated), --admin, --iss, --aud.
// Prints the token.
import { createHmac, createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    key: { type: 'string' },
    sub: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
    subscribe: { type: 'string', multiple: true, default: [] },
    publish: { type: 'string', multiple: true, default: [] },
    admin: { type: 'boolean', default: false },
    iss: { type: 'string' },
    aud: { type: 'string' },
  },
});

const key = values.key ? createPrivateKey(readFileSync(values.key)) : null;
const alg = key ? (key.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256') : 'HS256';
const claims = {
  ...(values.sub && { sub: values.sub }),
  ...(values.iss && { iss: values.iss }),
  ...(values.aud && { aud: values.aud }),
  exp: Math.floor(Date.now() / 1000) + Number(values.ttl),
  pubsub: { subscribe: values.subscribe, publish: values.publish, admin: values.admin },
};
const part = (object) => Buffer.from(JSON.stringify(object)).toString('base64url');
const input = `${part({ alg, typ: 'JWT' })}.${part(claims)}`;

let signature;
if (key) {
  // ES256 wants R || S, not DER (RFC 7518 section 3.4).
  signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
} else {
  const secret = process.env.PUBSUB_JWT_SECRET;
  if (!secret) {
    console.error('issue_token: set PUBSUB_JWT_SECRET, or give --key PRIVATE_KEY.pem');
    process.exit(2);
  }
  signature = createHmac('sha256', secret).update(input).digest();
}
console.log(`${input}.${signature.toString('base64url')}`);

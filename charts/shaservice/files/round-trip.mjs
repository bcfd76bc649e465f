// `helm test`: a message POSTed through the Service comes back unchanged from GET, under its SHA-256 digest.
import { createHash } from 'node:crypto';

const base = process.env.SHASERVICE_URL;
const message = `helm test ${new Date().toISOString()} \u2713`;
const digest = createHash('sha256').update(message, 'utf8').digest('hex');

function fail(what, status, body) {
  console.error(`FAIL: ${what}: status ${status}, body ${JSON.stringify(body)}`);
  process.exit(1);
}

const posted = await fetch(`${base}/messages`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message }),
});
const postBody = await posted.json();
if (posted.status !== 201 || postBody.digest !== digest)
  fail(`POST ${base}/messages`, posted.status, postBody);

const got = await fetch(`${base}/messages/${digest}`);
const getBody = await got.json();
if (got.status !== 200 || getBody.message !== message)
  fail(`GET ${base}/messages/${digest}`, got.status, getBody);

console.log(`ok: POST then GET through ${base} returned the message under ${digest}`);

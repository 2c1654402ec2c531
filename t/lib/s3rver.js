#!/usr/bin/env node
// s3rver for the tests, started by t/lib/BlogS3.pm on a loopback port.
//
//   node t/lib/s3rver.js DIR PORT BUCKET[,BUCKET...]
//
// s3rver (npm) speaks the S3 protocol but does not check Signature
// Version 4, so a middleware in front of it does, with the aws4 package
// (npm), an implementation independent of ours: every request must carry
// a valid AWS4-HMAC-SHA256 Authorization for the key S3RVER/S3RVER, or is
// answered 403 SignatureDoesNotMatch.  After an upload it also checks that
// Content-MD5 and x-amz-content-sha256 match the bytes s3rver stored.
//
// Listings with a delimiter are rolled up here (see listObjects below).
//
// Fault injection: while DIR/fail holds "N STATUS CODE", the next N
// requests are answered STATUS with that S3 error code (the file is
// rewritten with N-1).  Instead of a status, the fault may be
//   slow MS     the request waits MS milliseconds, then goes on as usual
//               unless the client gave up
//   garbage -   200 with a body of random bytes and no ETag; nothing stored
//   reset -     the connection is closed without an answer
//   cut -       a 200 that promises more body than it sends, then closes
// Virtual-host URLs: BUCKET.s3.localhost:PORT.
//
// Every request that passed the signature check is logged in
// DIR/requests, a line "OP BUCKET KEY USER-AGENT" (KEY "-" for the
// bucket itself), OP one of GET PUT HEAD DELETE COPY LIST MPU_CREATE
// MPU_PART MPU_COMPLETE MPU_ABORT, as S3 bills them; a LIST's line ends
// with its prefix (" -" for none), which says what it looked for.
//
// Run with --openssl-legacy-provider: s3rver encrypts continuation tokens
// with DES.  Prints "listening PORT" once it accepts connections.

'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const aws4 = require('aws4');
const S3rver = require('s3rver');

const FilesystemStore = require('s3rver/lib/stores/filesystem');

// s3rver 3.7.1 lists with a delimiter by walking only one folder below
// the prefix, so keys two "/" deeper (gen/wal/x) make no CommonPrefixes;
// S3 rolls them up.  List without the delimiter and roll up here.
const listObjects = FilesystemStore.prototype.listObjects;
FilesystemStore.prototype.listObjects = async function list(b, options) {
  const { delimiter, prefix = '', maxKeys = Infinity } = options;
  if (!delimiter) {
    return listObjects.call(this, b, options);
  }
  const all = await listObjects.call(this, b,
    { ...options, delimiter: '', maxKeys: Infinity });
  const prefixes = new Set();
  const objects = [];
  for (const o of all.objects) {
    const i = o.key.slice(prefix.length).indexOf(delimiter);
    if (i === -1) {
      objects.push(o);
    } else {
      prefixes.add(o.key.slice(0, prefix.length + i + delimiter.length));
    }
  }
  return {
    objects: objects.slice(0, maxKeys),
    commonPrefixes: [...prefixes].sort(),
    isTruncated: objects.length > maxKeys,
  };
};

const [dir, port, bucketList] = process.argv.slice(2);
const buckets = bucketList.split(',');
const store = path.join(dir, 'store');
const failFile = path.join(dir, 'fail');
const secret = 'S3RVER';

fs.mkdirSync(store, { recursive: true });

function s3error(ctx, status, code, message) {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n'
    + `<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
}

// "N STATUS CODE": fail this request if N > 0, and count it down
function injected() {
  let text;
  try {
    text = fs.readFileSync(failFile, 'utf8');
  } catch (e) {
    return null;
  }
  const [n, status, code] = text.trim().split(/\s+/);
  if (!(Number(n) > 0)) {
    return null;
  }
  // a new file renamed over the old: a test reading the count never
  // finds it empty half-way through the write
  fs.writeFileSync(failFile + '.tmp', `${Number(n) - 1} ${status} ${code}\n`);
  fs.renameSync(failFile + '.tmp', failFile);
  return { status, code };
}

// Answers a fault that is not an S3 error; true when the request is done.
async function misbehave(ctx, fault) {
  switch (fault.status) {
    case 'slow':
      await new Promise((resolve) => setTimeout(resolve, Number(fault.code)));
      // a client that gave up sent no whole body: S3 would store nothing
      // (s3rver would store what it got)
      if (ctx.req.socket.destroyed) {
        ctx.respond = false;
        return true;
      }
      return false;
    case 'garbage':
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body = crypto.randomBytes(600);
      return true;
    case 'reset':
      ctx.req.socket.destroy();
      ctx.respond = false;
      return true;
    case 'cut':
      ctx.respond = false;
      ctx.res.writeHead(200, { 'Content-Length': '100000',
        'Content-Type': 'application/xml', ETag: '"0"' });
      ctx.res.write('<?xml version="1.0"?><ListBucketResult><Contents><Key>');
      setTimeout(() => ctx.req.socket.destroy(), 50);
      return true;
    default:
      s3error(ctx, Number(fault.status), fault.code, 'injected by the test');
      return true;
  }
}

// The bucket and key of a request, path-style or virtual-host.
function target(ctx) {
  const vhost = buckets.find((b) => ctx.get('host').startsWith(`${b}.`));
  if (vhost) {
    return [vhost, decodeURIComponent(ctx.path.slice(1))];
  }
  const m = /^\/([^/]+)\/?(.*)$/.exec(ctx.path) || [null, '', ''];
  return [m[1], decodeURIComponent(m[2])];
}

// The operation of a request, as S3 names and bills it.
function operation(ctx, key) {
  const q = ctx.query;
  switch (ctx.method) {
    case 'GET':
      return key ? 'GET' : 'LIST';
    case 'HEAD':
      return 'HEAD';
    case 'PUT':
      if (ctx.get('x-amz-copy-source')) {
        return 'COPY';
      }
      return 'partNumber' in q ? 'MPU_PART' : 'PUT';
    case 'POST':
      if ('uploads' in q) {
        return 'MPU_CREATE';
      }
      return 'uploadId' in q ? 'MPU_COMPLETE' : 'DELETE';
    case 'DELETE':
      return 'uploadId' in q ? 'MPU_ABORT' : 'DELETE';
    default:
      return ctx.method;
  }
}

function logRequest(ctx) {
  const [bucket, key] = target(ctx);
  const agent = (ctx.get('user-agent') || '-').replace(/\s+/g, '_');
  const op = operation(ctx, key);
  const more = op === 'LIST' ? ` ${ctx.query.prefix || '-'}` : '';
  fs.appendFileSync(path.join(dir, 'requests'),
    `${op} ${bucket} ${key || '-'} ${agent}${more}\n`);
}

function verifySignature(ctx) {
  const authz = ctx.get('authorization');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/
    .exec(authz);
  if (!m) {
    return `malformed Authorization: ${authz}`;
  }
  const [, key, day, region, signed] = m;
  if (key !== 'S3RVER') {
    return `unknown access key ${key}`;
  }
  const names = signed.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
    if (!names.includes(required)) {
      return `${required} is not signed`;
    }
  }
  if (!ctx.get('x-amz-date').startsWith(day)) {
    return 'x-amz-date is not the day of the credential';
  }
  const headers = {};
  for (const name of names) {
    headers[name] = ctx.get(name);
  }
  const include = {};
  for (const name of names) {
    include[name] = true;
  }
  const req = aws4.sign({
    method: ctx.method,
    host: ctx.get('host'),
    path: ctx.req.url,
    headers,
    service: 's3',
    region,
    extraHeadersToInclude: include,
  }, { accessKeyId: key, secretAccessKey: secret });
  if (req.headers.Authorization !== authz) {
    return `expected ${req.headers.Authorization}`;
  }
  return null;
}

// s3rver answers a PUT when it has read the body, before its file is
// written out: wait for the file to have every byte.
async function storedBytes(file, length) {
  for (let i = 0; i < 500; i++) {
    try {
      const bytes = fs.readFileSync(file);
      if (bytes.length >= length) {
        return bytes;
      }
    } catch (e) {
      // not there yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return null;
}

// After s3rver stored a PUT: Content-MD5 is the part's or object's ETag,
// and x-amz-content-sha256 the SHA-256 of the object's stored bytes.
async function verifyBody(ctx) {
  const md5 = ctx.get('content-md5');
  const etag = (ctx.response.get('etag') || '').replace(/"/g, '');
  if (md5 && etag && Buffer.from(md5, 'base64').toString('hex') !== etag) {
    return ['BadDigest', 'Content-MD5 does not match the bytes'];
  }
  if ('partNumber' in ctx.query || ctx.get('x-amz-copy-source')) {
    return null;
  }
  // /BUCKET/KEY (s3rver has rewritten a virtual host's path so by now)
  // or BUCKET.s3.localhost:PORT/KEY
  let m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
  if (!m || !buckets.includes(m[1])) {
    const vhost = buckets.find((b) => ctx.get('host').startsWith(`${b}.`));
    m = vhost ? [null, vhost, ctx.path.slice(1)] : null;
  }
  if (!m) {
    return null;
  }
  const [, bucket, rest] = m;
  const key = decodeURIComponent(rest);
  const file = ctx.app.store.getResourcePath(bucket, key, 'object');
  const bytes = await storedBytes(file, Number(ctx.get('content-length')));
  if (bytes === null) {
    return ['InternalError', 'the object was not stored'];
  }
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  if (sha !== ctx.get('x-amz-content-sha256')) {
    return ['XAmzContentSHA256Mismatch', 'the body is not what was signed'];
  }
  return null;
}

const app = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  silent: true,
  directory: store,
  serviceEndpoint: 'localhost',
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});

// first in the chain: before s3rver's own middleware
app.middleware.unshift(async (ctx, next) => {
  const fault = injected();
  if (fault && await misbehave(ctx, fault)) {
    return;
  }
  const why = verifySignature(ctx);
  if (why) {
    process.stderr.write(`rejected ${ctx.method} ${ctx.req.url}: ${why}\n`);
    s3error(ctx, 403, 'SignatureDoesNotMatch', why);
    return;
  }
  logRequest(ctx);
  await next();
  if (ctx.method === 'PUT' && ctx.status === 200) {
    const bad = await verifyBody(ctx);
    if (bad) {
      s3error(ctx, 400, bad[0], bad[1]);
    }
  }
});

app.run().then(({ port: p }) => {
  process.stdout.write(`listening ${p}\n`);
}, (err) => {
  process.stderr.write(`s3rver: ${err.stack}\n`);
  process.exit(1);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => process.exit(0));
}

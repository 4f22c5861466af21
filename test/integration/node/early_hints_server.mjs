// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// A real third-party HTTPS server (Node's own `https` module, no npm packages) that answers
// getInstance with a 103 Early Hints before the 200. It exists as the real-program peer for
// the 1xx tests of the client's integration suite: the bundled simulator can send interim
// responses byte for byte as a test asks, but only a server whose HTTP stack we did not write
// shows that the client copes with 1xx responses as they occur in the wild (Node frames and
// writes the 103 itself, between the request and the final response).
//
// usage: node early_hints_server.mjs --port 0 --cert FILE --key FILE --token T --count N
//        [--fixture FILE]
//
// Prints `LISTENING <port>` on stdout once it accepts connections, then serves until killed:
// - GET /api/v1/instances/{id} with `Authorization: Bearer <T>` and id inst_0 .. inst_{N-1}:
//   103 (`Link: </app.css>; rel=preload; as=style`), then 200 with the simulator's fixture
//   (tools/gateway-sim/instance_body.json, or --fixture) and `data.id` set to the decoded id;
// - a missing or wrong bearer token: 401; any other id: 404; another path: 404; another
//   method: 405; a bad percent-encoding: 400 (each the contract's error envelope).
// Connections are kept alive.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';

function parseArgs(argv) {
  const opts = {
    port: 0,
    count: 1000,
    fixture: new URL('../../../tools/gateway-sim/instance_body.json', import.meta.url),
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    switch (name) {
      case '--port': opts.port = Number(value); break;
      case '--cert': opts.cert = value; break;
      case '--key': opts.key = value; break;
      case '--token': opts.token = value; break;
      case '--count': opts.count = Number(value); break;
      case '--fixture': opts.fixture = value; break;
      default: throw new Error(`unknown option ${name}`);
    }
  }
  for (const required of ['cert', 'key', 'token'])
    if (!opts[required]) throw new Error(`--${required} is required`);
  if (!Number.isInteger(opts.port) || !Number.isInteger(opts.count))
    throw new Error('--port and --count take integers');
  return opts;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`early_hints_server: ${e.message}\n`);
  process.exit(2);
}

const fixture = JSON.parse(readFileSync(opts.fixture, 'utf8'));

function requestId() {
  return `req_${randomBytes(8).toString('hex')}`;
}

function send(res, status, body, id) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'X-Request-Id': id,
  });
  res.end(text);
}

function sendError(res, status, type, code, message) {
  const id = requestId();
  send(res, status, { success: false, error: { type, code, message, request_id: id } }, id);
}

const prefix = '/api/v1/instances/';

const server = https.createServer({ cert: readFileSync(opts.cert), key: readFileSync(opts.key) },
  (req, res) => {
    const path = req.url.split('?')[0];
    const segment = path.startsWith(prefix) ? path.slice(prefix.length) : '';
    if (segment === '' || segment.includes('/'))
      return sendError(res, 404, 'not_found_error', 'route_not_found', 'No route matches this path.');
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return sendError(res, 405, 'invalid_request_error', 'method_not_allowed',
        'Only GET is served on this path.');
    }
    const auth = req.headers.authorization;
    if (auth === undefined)
      return sendError(res, 401, 'authentication_error', 'missing_token',
        'The Authorization header is missing.');
    if (auth !== `Bearer ${opts.token}`)
      return sendError(res, 401, 'authentication_error', 'invalid_token',
        'The bearer token is invalid.');
    let id;
    try {
      id = decodeURIComponent(segment);
    } catch {
      return sendError(res, 400, 'invalid_request_error', 'invalid_param',
        'id is not valid percent-encoded UTF-8.');
    }
    const m = /^inst_(0|[1-9][0-9]*)$/.exec(id);
    if (!m || Number(m[1]) >= opts.count)
      return sendError(res, 404, 'not_found_error', 'instance_not_found',
        `Instance '${id}' was not found.`);
    res.writeEarlyHints({ link: '</app.css>; rel=preload; as=style' });
    const rid = requestId();
    send(res, 200, { ...fixture, data: { ...fixture.data, id } }, rid);
  });

// Node's defaults would close an idle keep-alive connection after 5 s; a test may pause longer.
server.keepAliveTimeout = 60_000;
server.listen(opts.port, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => process.exit(0));

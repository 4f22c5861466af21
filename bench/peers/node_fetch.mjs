// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// Peer for bench/compare: Node's global fetch (undici, keep-alive by default) with C concurrent
// loops, JSON.parse of every body and a check of data.id. Same command line subset and JSON line
// as beeos-bench:
//
//   NODE_EXTRA_CA_CERTS=CA.pem node bench/peers/node_fetch.mjs --url https://127.0.0.1:PORT \
//       --ca CA.pem --token T --requests N | --seconds S --concurrency C [--ids M]
//
// Node reads NODE_EXTRA_CA_CERTS only at start-up; when it does not name --ca, this script runs
// itself again with it set (bench/compare sets it, so its measurements have one process).
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';

const usage = `usage: node_fetch.mjs --url https://HOST:PORT --ca FILE [--token T] [--requests N] [--seconds S] [--concurrency C] [--ids M]\n`;

function parseArgs(argv) {
  const known = new Set(['url', 'ca', 'token', 'requests', 'seconds', 'concurrency', 'ids']);
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '--help') { process.stdout.write(usage); process.exit(0); }
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    a = a.slice(2);
    let value;
    const eq = a.indexOf('=');
    if (eq >= 0) { value = a.slice(eq + 1); a = a.slice(0, eq); }
    else { if (i + 1 >= argv.length) throw new Error(`--${a} needs a value`); value = argv[++i]; }
    if (!known.has(a)) throw new Error(`unknown option '--${a}'`);
    out[a] = value;
  }
  return out;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
  if (!opts.url) throw new Error('--url is required');
} catch (e) {
  process.stderr.write(`node-fetch: ${e.message}\n${usage}`);
  process.exit(2);
}

if (opts.ca && process.env.NODE_EXTRA_CA_CERTS !== opts.ca) {
  fs.accessSync(opts.ca, fs.constants.R_OK);
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: opts.ca },
  });
  process.exit(r.status ?? 1);
}

const seconds = Number(opts.seconds ?? 0);
const limit = opts.requests !== undefined ? Number(opts.requests) : (seconds > 0 ? Infinity : 10000);
const concurrency = Number(opts.concurrency ?? 64);
const ids = Number(opts.ids ?? 1000);
const token = opts.token ?? process.env.BEEOS_API_KEY ?? '';
const prefix = opts.url.replace(/\/+$/, '') + '/api/v1/instances/';
const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };

let next = 0;
let completed = 0;
let errors = 0;
let reported = 0;
const latencies = [];  // ms
const sockets = new Set();

function fail(text) {
  errors++;
  if (reported++ < 5) process.stderr.write(`node-fetch: ${text}\n`);
}

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const stopAt = seconds > 0 ? t0 + seconds * 1000 : Infinity;

async function loop() {
  for (;;) {
    const start = performance.now();
    if (start >= stopAt) return;
    const n = next++;
    if (n >= limit) return;
    const id = `inst_${n % ids}`;
    try {
      const res = await fetch(prefix + id, { headers });
      const text = await res.text();
      const body = JSON.parse(text);
      if (res.status !== 200 || body?.data?.id !== id) fail(`${id}: HTTP ${res.status} or wrong body`);
    } catch (e) {
      fail(`${id}: ${e.cause?.message ?? e.message}`);
    }
    latencies.push(performance.now() - start);
    completed++;
  }
}

await Promise.all(Array.from({ length: concurrency }, loop));
const t1 = performance.now();
const cpu = process.cpuUsage(cpu0);

latencies.sort((a, b) => a - b);
const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : 0);
const wall = (t1 - t0) / 1000;
const cpuS = (cpu.user + cpu.system) / 1e6;
// Open sockets now, from /proc (undici keeps them for its keep-alive pool).
let connections = -1;
try {
  connections = fs.readdirSync('/proc/self/fd').filter((fd) => {
    try { return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:'); } catch { return false; }
  }).length;
} catch { /* not Linux */ }

const line = {
  client: 'node-fetch',
  requests: completed,
  errors,
  wall_s: +wall.toFixed(3),
  rps: +(completed / wall).toFixed(1),
  cpu_user_s: +(cpu.user / 1e6).toFixed(3),
  cpu_sys_s: +(cpu.system / 1e6).toFixed(3),
  cpu_us_per_req: completed ? +(cpuS * 1e6 / completed).toFixed(2) : 0,
  p50_ms: +q(0.5).toFixed(3),
  p99_ms: +q(0.99).toFixed(3),
  max_ms: +(latencies.at(-1) ?? 0).toFixed(3),
  peak_rss_kb: process.resourceUsage().maxRSS,
  connections,
};
process.stdout.write(JSON.stringify(line) + '\n');
const complete = seconds > 0 ? completed > 0 : completed === limit;
process.exit(errors === 0 && complete ? 0 : 1);

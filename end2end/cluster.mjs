// Two Vestibule nodes on one fresh PostgreSQL database, started at the same moment, behind a
// round-robin proxy with no stickiness: the browser suite's second run (E2E_CLUSTER=1) goes
// through it, so every flow must work whichever node gets each request.
//
// Environment (set by playwright.config.ts): E2E_BIN, E2E_PORT (the proxy's), E2E_DATABASE_URL,
// E2E_SECRET, E2E_DATA_DIR, VESTIBULE_SITE_ROOT.
import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';

const port = Number(process.env.E2E_PORT);
const database = new URL(process.env.E2E_DATABASE_URL);
const databaseName = database.pathname.slice(1);
const pg = ['-h', database.hostname, '-p', database.port || '5432', '-U', database.username || 'postgres'];
// Playwright may kill this script before it drops its database: drop those of runs whose
// process (the number in the name) is gone.
const listed = execFileSync('psql', [...pg, '-d', 'postgres', '-Atc', "SELECT datname FROM pg_database WHERE datname LIKE 'vestibule_e2e_%'"]).toString();
for (const stale of listed.split('\n').filter(Boolean)) {
  const pid = Number(stale.replace('vestibule_e2e_', ''));
  try {
    process.kill(pid, 0);
  } catch {
    execFileSync('dropdb', [...pg, '--if-exists', stale]);
  }
}
execFileSync('createdb', [...pg, databaseName]);

const upstreams = [port + 1, port + 2];
const environment = (index) => ({
  PATH: process.env.PATH,
  VESTIBULE_LISTEN: `127.0.0.1:${upstreams[index]}`,
  VESTIBULE_ENDPOINT: `http://localhost:${port}`,
  VESTIBULE_DATA_DIR: `${process.env.E2E_DATA_DIR}/node-${index}`,
  VESTIBULE_SITE_ROOT: process.env.VESTIBULE_SITE_ROOT,
  VESTIBULE_SECRET: process.env.E2E_SECRET,
  DATABASE_URL: process.env.E2E_DATABASE_URL,
  VESTIBULE_PASSWORD_HASHING: 'test-only-cheap',
  // Applications and resources the tests create and change are cached for this long; the
  // security settings (sign-in mode, MFA and sentinel policies) hold on both nodes at once
  // whatever it is (several_nodes.rs).
  VESTIBULE_CACHE_TTL_SECONDS: '0',
  RUST_LOG: 'warn',
});
const nodes = upstreams.map((nodePort, index) => {
  const node = spawn(process.env.E2E_BIN, [], { stdio: ['ignore', 'ignore', 'pipe'], env: environment(index) });
  node.stderr.on('data', (chunk) => process.stderr.write(`[node ${index}] ${chunk}`));
  node.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`[node ${index}] exited (${code ?? signal})\n`);
      stop(1);
    }
  });
  return node;
});

// Round robin per request, keep-alive to each node: consecutive requests of one browser page
// land on different nodes.
const agent = new http.Agent({ keepAlive: true });
let next = 0;
const proxy = http.createServer((request, response) => {
  const target = upstreams[next++ % upstreams.length];
  const forwarded = http.request({ host: '127.0.0.1', port: target, method: request.method, path: request.url, headers: request.headers, agent }, (answer) => {
    response.writeHead(answer.statusCode, answer.rawHeaders);
    answer.pipe(response);
  });
  forwarded.on('error', (error) => {
    if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
    response.end(`proxy: node on ${target} failed: ${error.message}`);
  });
  request.pipe(forwarded);
});
proxy.listen(port, '127.0.0.1');

// Signing keys rotated mid-run, as an operator would (`keys rotate`: published at once, signing
// six minutes later) and as after a leak (`--now`: signing at once, while the other node has not
// read it yet and must accept its tokens all the same).
const rotations = [[10_000, []], [90_000, ['--now']]].map(([delay, flags]) =>
  setTimeout(() => {
    const label = `[keys rotate ${flags.join(' ')}]`;
    const rotated = spawn(process.env.E2E_BIN, ['keys', 'rotate', ...flags], { stdio: ['ignore', 'pipe', 'pipe'], env: environment(0) });
    rotated.stdout.on('data', (chunk) => process.stderr.write(`${label} ${chunk}`));
    rotated.stderr.on('data', (chunk) => process.stderr.write(`${label} ${chunk}`));
    rotated.on('exit', (code) => {
      if (code !== 0) {
        process.stderr.write(`${label} failed (${code})\n`);
        stop(1);
      }
    });
  }, delay),
);

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  rotations.forEach(clearTimeout);
  proxy.close();
  for (const node of nodes) node.kill('SIGTERM');
  Promise.all(nodes.map((node) => new Promise((resolve) => (node.exitCode !== null ? resolve() : node.on('exit', resolve))))).then(() => {
    try {
      execFileSync('dropdb', [...pg, '--if-exists', databaseName]);
    } catch (error) {
      process.stderr.write(`cannot drop ${databaseName}: ${error}\n`);
    }
    process.exit(code);
  });
}
process.on('SIGTERM', () => stop());
process.on('SIGINT', () => stop());

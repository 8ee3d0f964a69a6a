import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// The built server binary and site, as `cargo leptos build` laid them out (scripts/test.sh
// passes both; test-only variables avoid the VESTIBULE_ prefix, which the server reads as
// configuration and rejects when unknown). Each run gets a brand-new SQLite database in a
// temporary directory.
const root = resolve(__dirname, '..');
const binary = process.env.E2E_BIN ?? join(root, 'target/debug/vestibule');
const siteRoot = process.env.VESTIBULE_SITE_ROOT ?? join(root, 'target/site');
const port = Number(process.env.E2E_PORT ?? 3199);
// Shared with the tests, which seed applications and users through the same binary's CLI.
const dataDir = process.env.E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'vestibule-e2e-'));
process.env.E2E_DATA_DIR = dataDir;
process.env.E2E_BIN = binary;
// `localhost`, not 127.0.0.1: WebAuthn needs a domain name as the relying party ID.
process.env.E2E_BASE_URL = `http://localhost:${port}`;
// E2E_CLUSTER=1: the same suite through two nodes on one fresh PostgreSQL database behind a
// round-robin proxy (end2end/cluster.mjs); otherwise one node on a fresh SQLite file.
const cluster = process.env.E2E_CLUSTER === '1';
process.env.E2E_DATABASE_URL ??= cluster
  ? `${process.env.E2E_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432'}/vestibule_e2e_${process.pid}`
  : `sqlite:${join(dataDir, 'vestibule.db')}`;
process.env.E2E_SECRET ??= `e2e secret shared by every node ${process.pid}`;
process.env.E2E_PORT = String(port);
process.env.VESTIBULE_SITE_ROOT = siteRoot;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  // The whole browser suite takes about a minute; a run still going after 15 stops and fails
  // rather than stalling CI.
  globalTimeout: 15 * 60_000,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${port}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        // The server listens on IPv4 loopback only.
        '--host-resolver-rules=MAP localhost 127.0.0.1',
      ],
    },
  },
  webServer: cluster ? {
    command: `node ${join(__dirname, 'cluster.mjs')}`,
    url: `http://127.0.0.1:${port}/api/status`,
    reuseExistingServer: false,
    timeout: 90_000,
    stdout: 'ignore',
    stderr: 'pipe',
  } : {
    command: binary,
    url: `http://127.0.0.1:${port}/api/status`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      VESTIBULE_LISTEN: `127.0.0.1:${port}`,
      VESTIBULE_ENDPOINT: `http://localhost:${port}`,
      VESTIBULE_DATA_DIR: dataDir,
      VESTIBULE_SITE_ROOT: siteRoot,
      DATABASE_URL: process.env.E2E_DATABASE_URL,
      VESTIBULE_SECRET: process.env.E2E_SECRET,
      VESTIBULE_PASSWORD_HASHING: 'test-only-cheap',
      // Tests change the sign-in experience through the CLI and expect the next page to show it.
      VESTIBULE_CACHE_TTL_SECONDS: '0',
      RUST_LOG: 'warn',
    },
  },
});

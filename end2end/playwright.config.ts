// Kanect's browser tests. Playwright starts the already-built server itself
// (webServer) on the port and data directory that `scripts/test` picked, waits
// until it answers, and stops it when the run ends, pass or fail.
// Two projects: the hydrated app, and the same forms with JavaScript off.
import { defineConfig } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..');
const port = Number(process.env.E2E_PORT ?? 3939);
const baseURL = `http://127.0.0.1:${port}`;
const server = process.env.E2E_SERVER ?? path.join(root, 'target/release/kanect-server');

export default defineConfig({
  testDir: './tests',
  // A whole spec's limit, not a wait: every step inside waits for an event.
  // Two-person specs (two sign-ups, a room, the live exchange) took 22–30 s
  // on a busy two-core machine, at the old 30 s limit.
  timeout: 60_000,
  expect: { timeout: 7_000 },
  fullyParallel: true,
  // One worker per core: each runs a browser and shares the one server.
  workers: Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'hydrated', grepInvert: /@nojs/, testIgnore: /signup-policy/ },
    { name: 'no-js', grep: /@nojs/, use: { javaScriptEnabled: false } },
    // Changes who may sign up for everyone: only after the others are done.
    { name: 'site-settings', testMatch: /signup-policy/, dependencies: ['hydrated', 'no-js'] },
    // The page-load benchmark (scripts/page-load-bench), never in the test run.
    ...(process.env.E2E_BENCH
      ? [{ name: 'bench', testDir: './bench', testMatch: /page-load/ }]
      : []),
  ],
  webServer: {
    command: `"${server}"`,
    cwd: root,
    url: `${baseURL}/login`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      KANECT_LISTEN: `127.0.0.1:${port}`,
      KANECT_DATA_DIR: process.env.E2E_DATA ?? path.join(root, 'end2end/.data'),
      KANECT_LOG: 'warn',
      KANECT_LOGIN_MAX_FAILURES: '1000',
      KANECT_SEND_LIMIT_PER_10S: '1000',
      KANECT_SIGNUPS_PER_IP_PER_HOUR: '100000',
      KANECT_SIGNUPS_PER_HOUR: '100000',
      // Small, so the oversize-file test hands the browser 6 MiB, not 26.
      KANECT_MAX_UPLOAD_MIB: '5',
      LEPTOS_SITE_ROOT: process.env.E2E_SITE ?? path.join(root, 'target/site'),
      LEPTOS_OUTPUT_NAME: 'kanect',
      LEPTOS_ENV: 'PROD',
    },
  },
});

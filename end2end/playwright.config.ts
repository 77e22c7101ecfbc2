import { defineConfig } from '@playwright/test';

// The release binary serves the dashboard on the embedded simulated cluster, with a fresh data
// dir each run. Port 9998 keeps it clear of a developer's own server on 9999.
// With E2E_IMAGE=<docker image> the same suite runs against the StartOS image instead
// (scripts/check-image.sh): the container is the server, with its own fresh /data.
const PORT = 9998;
const IMAGE = process.env.E2E_IMAGE;
const SIM_ENV = {
  SIM_LOAD_SECS: '3',
  // Slow enough that the chat test can watch tokens arrive and stop an answer midway.
  SIM_TOKEN_MS: '120',
  RUST_LOG: 'warn',
};
const dockerEnv = Object.entries({ BIND_PORT: String(PORT), ...SIM_ENV })
  .map(([k, v]) => `-e ${k}=${v}`)
  .join(' ');

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium; Playwright's own browser download is not reachable here.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
  },
  webServer: {
    command: IMAGE
      ? `docker run --rm --name spark-control-e2e -p 127.0.0.1:${PORT}:${PORT} ${dockerEnv} ${IMAGE}`
      : 'rm -rf .e2e-data && ../target/release/spark-control',
    cwd: '.',
    url: `http://127.0.0.1:${PORT}/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      BIND_PORT: String(PORT),
      BIND_ADDR: '127.0.0.1',
      DATA_DIR: '.e2e-data',
      LEPTOS_SITE_ROOT: '../target/site',
      MODELS_YAML: '../models.yaml',
      ...SIM_ENV,
    },
  },
});

import { defineConfig } from "@playwright/test";
import { APP_URL, appEnv, IDP_URL, SLACK_PORT } from "./e2e/support/env";

// Debian's Chromium (no browser downloads here); without the networking flags it floods the
// closed network.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/support/global-setup.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env.CI,
  reporter: [["list"], ["json", { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? ".test-output/e2e.json" }]],
  use: {
    baseURL: APP_URL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: [
    {
      command: "npx tsx e2e/support/idp-server.ts",
      url: `${IDP_URL}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: "pipe",
    },
    {
      // Slack's Web API as documented, and nothing else (lib/testing/fake-slack.ts).
      command: "npx tsx e2e/support/slack-server.ts",
      url: `http://127.0.0.1:${SLACK_PORT}/__inspect`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: "pipe",
    },
    {
      // The production build, configured by environment only, as an operator runs it.
      command: "npm run build && npm start",
      url: `${APP_URL}/api/health`,
      env: { ...(process.env as Record<string, string>), ...appEnv() },
      reuseExistingServer: false,
      // A production build on a busy shared machine can take longer than seven minutes.
      timeout: 900_000,
      stdout: "pipe",
    },
    {
      // The worker, so grants start and end with their side effects during the journeys.
      command: "node --import tsx workers/index.ts",
      wait: { stdout: /worker up/ },
      env: { ...(process.env as Record<string, string>), ...appEnv() },
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
    },
  ],
});

/**
 * `npm run dev`: one command for local development. Checks PostgreSQL and Redis (saying
 * which URL failed and how to start it), applies migrations, seeds demo data, starts the
 * development IdP when no company IdP is configured, then the web app and the worker.
 */
import type { ChildProcess } from "node:child_process";
import { DEMO_USERS } from "../dev-idp/demo-users";
import { startDevIdp } from "../dev-idp/server";
import { startDevSmtp } from "../notify/dev-smtp";
import { disconnectDb } from "../db";
import { wireDemoTarget } from "../../prisma/demo-target";
import { describeHistory, seedDemo } from "../../prisma/seed";
import { checkServices, loadConfigOrExplain, PreflightError } from "./preflight";
import { CLIENT_IP_HOOK, NEXT_BIN, runCommand, startChild } from "./run";

const main = async () => {
  process.env.NEXT_TELEMETRY_DISABLED ??= "1";
  const config = loadConfigOrExplain();
  if (config.isProduction)
    throw new PreflightError("`npm run dev` is for development; use `npm run build` and `npm start` in production.");

  const { database } = await checkServices(config);
  if (database === "created") console.log(`created database ${new URL(config.databaseUrl).pathname.slice(1)}`);
  if ((await runCommand("npx", ["prisma", "migrate", "deploy"])) !== 0)
    throw new PreflightError("Applying migrations failed (see above).");
  const { catalog: seeded, history } = await seedDemo();
  console.log(`demo data: ${seeded.resources} resources, ${seeded.policies} policies (${seeded.created} created now)`);
  console.log(`demo data: ${describeHistory(history)}`);
  const target = await wireDemoTarget().catch((error: unknown) => {
    console.error(`demo PostgreSQL target not wired: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  });
  if (target?.wired) console.log(`demo data: prod-postgres provisions login roles in database ${target.database}`);
  await disconnectDb();

  const closers: Array<() => Promise<void>> = [];
  if (config.oidc.isDevIdp) {
    const idp = await startDevIdp({
      port: config.devIdpPort,
      clients: [
        {
          clientId: config.oidc.clientId,
          clientSecret: config.oidc.clientSecret,
          redirectUris: [`${config.appUrl}/api/auth/callback/oidc`],
        },
      ],
    });
    closers.push(idp.close);
  }
  // Mail goes to a local catcher, read at /dev/mail, unless SMTP_URL names a real server.
  const catchMail = config.smtpUrl === `smtp://127.0.0.1:${config.devSmtpPort}`;
  if (catchMail) {
    const smtp = await startDevSmtp({ port: config.devSmtpPort });
    closers.push(smtp.close);
  }

  const port = new URL(config.appUrl).port || "3000";
  const children: ChildProcess[] = [
    // Next passes the --import on to its server process: the client-IP hook, as in production.
    startChild("web", process.execPath, ["--import", CLIENT_IP_HOOK, NEXT_BIN, "dev", "--port", port]),
    // node, not npx/tsx: they do not pass SIGTERM on reliably, and the worker must drain.
    startChild("worker", process.execPath, ["--import", "tsx", "workers/index.ts"]),
    // The services API (/api/v1/*), also reachable through the portal's origin by rewrite.
    startChild("api", process.execPath, ["--import", "tsx", "api/main.ts"]),
  ];

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.all(
      children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once("exit", resolve)) : null)),
    );
    for (const close of closers) await close().catch(() => undefined);
    process.exit(code);
  };
  for (const child of children) {
    child.once("exit", (code) => {
      if (!stopping) {
        console.error(`a process exited (code ${code ?? "signal"}); stopping the rest`);
        void stop(code ?? 1);
      }
    });
  }
  process.once("SIGINT", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));

  const width = Math.max(...DEMO_USERS.map((user) => user.name.length));
  console.log(
    [
      "",
      `  JIT Access portal:  ${config.appUrl}`,
      `  Services API:       ${config.appUrl}/api/v1 (server on ${config.api.internalUrl}; docs at ${config.appUrl}/api-docs)`,
      ...(catchMail
        ? [`  Mail:               ${config.appUrl}/dev/mail (SMTP on 127.0.0.1:${config.devSmtpPort})`]
        : []),
      config.oidc.isDevIdp
        ? `  Development IdP:    ${config.oidc.issuer} (pick a demo user at sign-in)`
        : `  IdP:                ${config.oidc.issuer}`,
      ...(config.oidc.isDevIdp
        ? [
            "",
            "  Demo users:",
            ...DEMO_USERS.map(
              (user) => `    ${user.name.padEnd(width)}  ${user.email.padEnd(20)} ${user.groups.join(", ")}`,
            ),
          ]
        : []),
      "",
      "  Ctrl-C stops everything.",
      "",
    ].join("\n"),
  );
};

main().catch((error: unknown) => {
  console.error(error instanceof PreflightError ? error.message : error);
  process.exit(1);
});

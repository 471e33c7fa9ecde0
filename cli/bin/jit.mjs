#!/usr/bin/env node
// jit: the engineers' command line for the JIT access portal (docs/cli.md). No dependencies:
// node's fetch, util.parseArgs, crypto and child_process. It keeps only a refresh token, in the
// OS keychain or a file readable by the user alone; access tokens live in memory for one command.
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, hostname, platform, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { keychainClear, keychainLookup, keychainStore, selectKeychain } from "./keychain.mjs";

const VERSION = "0.1.0";
const USER_AGENT = `jit-cli/${VERSION} (node ${process.versions.node}; ${platform()})`;

/** Exit codes (docs/cli.md). */
export const EXIT = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  NOT_SIGNED_IN: 3,
  NOT_FOUND: 4,
  REFUSED: 5,
  TIMEOUT: 6,
  RATE_LIMITED: 7,
};

class CliError extends Error {
  constructor(message, code = EXIT.ERROR) {
    super(message);
    this.code = code;
  }
}

const tty = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb";
const paint = (code) => (text) => (tty ? `\u001b[${code}m${text}\u001b[0m` : String(text));
const bold = paint("1");
const green = paint("32");
const red = paint("31");
const yellow = paint("33");
const dim = paint("2");

const out = (line = "") => process.stdout.write(`${line}\n`);
const err = (line = "") => process.stderr.write(`${line}\n`);

// --- token storage ---------------------------------------------------------------------

const configDir = () =>
  process.env.JIT_CONFIG_DIR || path.join(process.env.XDG_CONFIG_HOME || path.join(homedir(), ".config"), "jit");
const credentialsFile = () => path.join(configDir(), "credentials.json");

const readCredentialsFile = () => {
  try {
    const parsed = JSON.parse(readFileSync(credentialsFile(), "utf8"));
    return parsed && typeof parsed.portal === "string" ? parsed : null;
  } catch {
    return null;
  }
};

const KEYCHAINS = ["secret-tool", "security"];

/**
 * { portal, refreshToken, store } or null. The file holds the portal and either the token
 * itself (store "file") or the name of the keychain that holds it (ADR 0048).
 */
const loadCredentials = () => {
  const stored = readCredentialsFile();
  if (!stored) return null;
  if (typeof stored.refreshToken === "string")
    return { portal: stored.portal, refreshToken: stored.refreshToken, store: "file" };
  if (!KEYCHAINS.includes(stored.keychain)) return null;
  const refreshToken = keychainLookup(stored.keychain, stored.portal);
  return refreshToken ? { portal: stored.portal, refreshToken, store: stored.keychain } : null;
};

/** Written to a temporary file created 0600 in a 0700 directory, then renamed over the old one. */
const writeCredentialsFile = (content) => {
  const dir = configDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const temp = path.join(dir, `.credentials.${process.pid}.tmp`);
  writeFileSync(temp, JSON.stringify(content), { mode: 0o600, flag: "wx" });
  renameSync(temp, credentialsFile());
};

const chosenKeychain = () => {
  try {
    return selectKeychain();
  } catch (error) {
    throw new CliError(error.message, EXIT.USAGE);
  }
};

/** The token goes to the keychain when one is chosen and takes it; otherwise into the file. */
const saveCredentials = ({ portal, refreshToken }) => {
  const previous = readCredentialsFile();
  const kind = chosenKeychain();
  if (kind !== "file") {
    if (keychainStore(kind, portal, refreshToken)) return writeCredentialsFile({ portal, keychain: kind });
    err(dim(`${kind} did not take the token (keychain locked?); keeping it in ${credentialsFile()} (0600).`));
  }
  writeCredentialsFile({ portal, refreshToken });
  // Moved out of a keychain (JIT_KEYCHAIN=off now): no stale copy stays behind there.
  if (previous && KEYCHAINS.includes(previous.keychain)) keychainClear(previous.keychain, previous.portal);
};

/** Where the token now is, for `jit whoami`. */
const loadStoreName = () => {
  const stored = readCredentialsFile();
  return stored && KEYCHAINS.includes(stored.keychain) ? stored.keychain : "file";
};

const forgetCredentials = () => {
  const stored = readCredentialsFile();
  if (stored && KEYCHAINS.includes(stored.keychain)) keychainClear(stored.keychain, stored.portal);
  rmSync(credentialsFile(), { force: true });
};

// --- HTTP ------------------------------------------------------------------------------

const exitFor = (status, error) => {
  if (status === 401) return EXIT.NOT_SIGNED_IN;
  if (status === 404) return EXIT.NOT_FOUND;
  if (status === 400 || status === 413) return EXIT.USAGE;
  if (status === 403 || status === 409) return EXIT.REFUSED;
  if (status === 429) return EXIT.RATE_LIMITED;
  return error === "access_denied" ? EXIT.REFUSED : EXIT.ERROR;
};

const call = async (portal, pathname, { method = "GET", token, json, form, signal } = {}) => {
  let res;
  try {
    res = await fetch(new URL(pathname, portal), {
      method,
      signal,
      headers: {
        "user-agent": USER_AGENT,
        accept: "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(json !== undefined ? { "content-type": "application/json" } : {}),
        ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      body: json !== undefined ? JSON.stringify(json) : form ? new URLSearchParams(form).toString() : undefined,
    });
  } catch (error) {
    throw new CliError(`Cannot reach ${portal}: ${error.cause?.message ?? error.message}`, EXIT.ERROR);
  }
  const text = await res.text();
  let body = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text.slice(0, 200) };
  }
  return { status: res.status, body, retryAfter: Number(res.headers.get("retry-after") ?? "0") };
};

const failed = (answer) =>
  new CliError(
    answer.body.message || answer.body.error_description || `HTTP ${answer.status}`,
    exitFor(answer.status, answer.body.error),
  );

/** A fresh access token from the stored refresh token (which rotates: the new one is saved first). */
const session = async () => {
  const credentials = loadCredentials();
  if (!credentials) throw new CliError("Not signed in. Run `jit login`.", EXIT.NOT_SIGNED_IN);
  const answer = await call(credentials.portal, "/api/v1/oauth/token", {
    method: "POST",
    form: { grant_type: "refresh_token", refresh_token: credentials.refreshToken, client_id: "jit-cli" },
  });
  if (answer.status !== 200) {
    if (answer.body.error === "invalid_grant") {
      forgetCredentials();
      const message = String(answer.body.message ?? "Signed out.");
      throw new CliError(message.includes("jit login") ? message : `${message} Run \`jit login\`.`, EXIT.NOT_SIGNED_IN);
    }
    throw failed(answer);
  }
  saveCredentials({ portal: credentials.portal, refreshToken: answer.body.refresh_token });
  const token = answer.body.access_token;
  const api = async (pathname, options = {}) => {
    const result = await call(credentials.portal, pathname, { ...options, token });
    if (result.status >= 400) throw failed(result);
    return result;
  };
  return { portal: credentials.portal, api, token, store: loadStoreName() };
};

// --- helpers ---------------------------------------------------------------------------

/** "30m", "1h", "1h30m", "90" (minutes) to minutes. */
export const parseDuration = (raw) => {
  const match = /^(?:(\d+)h)?(?:(\d+)m?)?$/.exec(String(raw ?? "").trim());
  if (!match || (!match[1] && !match[2]))
    throw new CliError(`Not a duration: ${raw} (try 30m, 1h, 1h30m).`, EXIT.USAGE);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
};

/** "14:00" (today, local time; tomorrow if past) or an ISO 8601 instant, to ISO. */
export const parseAt = (raw, now = new Date()) => {
  const hm = /^(\d{1,2}):(\d{2})$/.exec(raw);
  if (hm) {
    const at = new Date(now);
    at.setHours(Number(hm[1]), Number(hm[2]), 0, 0);
    if (at <= now) at.setDate(at.getDate() + 1);
    return at.toISOString();
  }
  const at = new Date(raw);
  if (Number.isNaN(at.getTime()))
    throw new CliError(`Not a time: ${raw} (try 14:00 or 2026-12-04T14:00Z).`, EXIT.USAGE);
  return at.toISOString();
};

const utc = (iso) => (iso ? `${String(iso).slice(0, 16).replace("T", " ")} UTC` : "");

const spinner = (label) => {
  if (!process.stderr.isTTY) {
    err(label);
    return { update: () => undefined, stop: () => undefined };
  }
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let i = 0;
  let text = label;
  const timer = setInterval(() => process.stderr.write(`\r\u001b[2K${frames[i++ % frames.length]} ${text}`), 100);
  return {
    update: (next) => (text = next),
    stop: () => {
      clearInterval(timer);
      process.stderr.write("\r\u001b[2K");
    },
  };
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const run = (command, args, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", env });
    child.on("error", (error) =>
      reject(
        new CliError(
          error.code === "ENOENT" ? `${command} is not installed (not on PATH).` : error.message,
          EXIT.ERROR,
        ),
      ),
    );
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });

/** The person's active grant on the resource; without one, exit 5 (or null when not `required`). */
const activeGrantOn = async (api, resource, { required = true } = {}) => {
  const { body } = await api("/api/v1/me/grants");
  const grant = body.active.find((candidate) => candidate.resourceKey === resource);
  if (!grant && required)
    throw new CliError(
      `No active grant on ${resource}. Ask for one: jit request ${resource} <permission> --for 30m --reason "..." --wait`,
      EXIT.REFUSED,
    );
  return grant ?? null;
};

/** POST /me/requests from the flags `request` and `psql --request` share. */
const submitRequest = async (api, resource, permissions, values) =>
  (
    await api("/api/v1/me/requests", {
      method: "POST",
      json: {
        resource,
        permissions,
        durationMinutes: parseDuration(values.for),
        justification: values.reason,
        ...(values.ticket ? { ticket: values.ticket } : {}),
        ...(values.at ? { startAt: parseAt(values.at) } : {}),
        ...(values.policy ? { policyId: values.policy } : {}),
        ...(values.teammate ? { onBehalfOfEmail: values.teammate } : {}),
      },
    })
  ).body;

/** The credential endpoint, retried while the grant is still being provisioned (409 with Retry-After). */
const credentialFor = async (api, grantId, body) => {
  const until = Date.now() + 60_000;
  for (;;) {
    try {
      return (await api(`/api/v1/me/grants/${encodeURIComponent(grantId)}/credential`, { method: "POST", json: body }))
        .body;
    } catch (error) {
      if (!(error instanceof CliError && /still being provisioned/.test(error.message)) || Date.now() > until)
        throw error;
      await sleep(1000);
    }
  }
};

// --- commands --------------------------------------------------------------------------

const COMMANDS = {
  login: {
    usage: "jit login [--portal URL] [--name DEVICE] [--no-browser]",
    summary: "Sign this terminal in through the portal (device code, confirmed in the browser).",
    options: { portal: { type: "string" }, name: { type: "string" }, "no-browser": { type: "boolean" } },
    run: async ({ values, json }) => {
      const portal = (
        values.portal ||
        process.env.JIT_PORTAL ||
        loadCredentials()?.portal ||
        "http://localhost:3000"
      ).replace(/\/+$/, "");
      const started = await call(portal, "/api/v1/oauth/device_authorization", {
        method: "POST",
        form: { client_id: "jit-cli", client_name: values.name || `jit on ${hostname()}` },
      });
      if (started.status !== 200) throw failed(started);
      const grant = started.body;
      if (json)
        err(JSON.stringify({ user_code: grant.user_code, verification_uri_complete: grant.verification_uri_complete }));
      else {
        out(`To sign in, open ${bold(grant.verification_uri_complete)}`);
        out(
          `and confirm the code ${bold(grant.user_code)} (it expires in ${Math.round(grant.expires_in / 60)} minutes).`,
        );
      }
      let interval = grant.interval * 1000;
      const until = Date.now() + grant.expires_in * 1000;
      const wait = json ? { update: () => undefined, stop: () => undefined } : spinner("Waiting for the browser…");
      try {
        while (Date.now() < until) {
          await sleep(interval);
          const answer = await call(portal, "/api/v1/oauth/token", {
            method: "POST",
            form: {
              grant_type: "urn:ietf:params:oauth:grant-type:device_code",
              device_code: grant.device_code,
              client_id: "jit-cli",
            },
          });
          if (answer.status === 200) {
            saveCredentials({ portal, refreshToken: answer.body.refresh_token });
            const me = await call(portal, "/api/v1/me", { token: answer.body.access_token });
            wait.stop();
            if (json) out(JSON.stringify({ signedIn: true, portal, user: me.body }));
            else
              out(
                `${green("Signed in")} as ${me.body.name}${me.body.email ? ` <${me.body.email}>` : ""} at ${portal}.`,
              );
            return EXIT.OK;
          }
          if (answer.body.error === "slow_down") interval += 5000;
          else if (answer.body.error !== "authorization_pending") throw failed(answer);
        }
      } finally {
        wait.stop();
      }
      throw new CliError("The code expired before it was confirmed. Run `jit login` again.", EXIT.TIMEOUT);
    },
  },
  logout: {
    usage: "jit logout",
    summary: "Forget this terminal's sign-in (revoke it in the portal's My devices to end it everywhere).",
    options: {},
    run: async ({ json }) => {
      const had = Boolean(loadCredentials());
      forgetCredentials();
      if (json) out(JSON.stringify({ signedOut: had }));
      else out(had ? "Signed out: the refresh token is deleted from this machine." : "Not signed in.");
      return EXIT.OK;
    },
  },
  whoami: {
    usage: "jit whoami",
    summary: "Who this terminal is signed in as.",
    options: {},
    run: async ({ json }) => {
      const { api, portal, store } = await session();
      const { body } = await api("/api/v1/me");
      if (json) out(JSON.stringify({ ...body, portal, tokenStore: store }));
      else
        out(
          `${body.name}${body.email ? ` <${body.email}>` : ""} at ${portal}\ngroups: ${body.groups.join(", ") || "none"}\n` +
            `refresh token kept in: ${store === "file" ? credentialsFile() : store}`,
        );
      return EXIT.OK;
    },
  },
  resources: {
    usage: "jit resources",
    summary: "What you may request, with each policy's limits.",
    options: {},
    run: async ({ json }) => {
      const { api } = await session();
      const { body } = await api("/api/v1/me/resources");
      if (json) return (out(JSON.stringify(body.resources)), EXIT.OK);
      if (body.resources.length === 0) out("Nothing you may request.");
      for (const resource of body.resources) {
        out(`${bold(resource.resourceKey)}  ${resource.resourceName} ${dim(`(${resource.environment})`)}`);
        for (const policy of resource.policies)
          out(
            `  ${policy.permissions.join(", ")}: up to ${policy.maxDurationMinutes}m, ${policy.autoApproved ? "auto-approved" : `${policy.approvalsRequired} approval(s)`}` +
              `${policy.ticketRequired ? ", ticket required" : ""}, reason ≥ ${policy.minJustificationLength} chars ${dim(`[${policy.name}]`)}`,
          );
      }
      return EXIT.OK;
    },
  },
  request: {
    usage:
      'jit request <resource> <permission...> --for 30m --reason "..." [--ticket INC-1] [--at 14:00] [--wait] [--timeout 15m] [--policy ID] [--teammate EMAIL]',
    summary:
      "Ask for access; with --wait, wait for the decision and exit 0 only once the grant is active. --teammate files it for someone else, who acknowledges it (jit ack).",
    options: {
      for: { type: "string" },
      teammate: { type: "string" },
      reason: { type: "string" },
      ticket: { type: "string" },
      at: { type: "string" },
      wait: { type: "boolean" },
      timeout: { type: "string" },
      policy: { type: "string" },
    },
    run: async ({ values, positionals, json }) => {
      const [resource, ...permissions] = positionals;
      if (!resource || permissions.length === 0)
        throw new CliError("Name a resource and at least one permission.", EXIT.USAGE);
      if (!values.for) throw new CliError("--for is required (e.g. --for 30m).", EXIT.USAGE);
      if (!values.reason) throw new CliError('--reason is required (e.g. --reason "INC-1 replica lag").', EXIT.USAGE);
      const { api } = await session();
      const created = await submitRequest(api, resource, permissions, values);
      if (!json) {
        out(
          `Request ${bold(created.requestId)}: ${created.status === "APPROVED" ? green("approved") : yellow("waiting for approval")}`,
        );
        if (values.teammate) out(`Filed for ${values.teammate}: nothing starts until they acknowledge it (jit ack).`);
        out(`Approvers decide at ${created.link}`);
      }
      if (!values.wait) {
        if (json) out(JSON.stringify(created));
        return EXIT.OK;
      }
      return waitFor(api, created.requestId, values.timeout ? parseDuration(values.timeout) : 60, json);
    },
  },
  wait: {
    usage: "jit wait <request> [--timeout 15m]",
    summary: "Wait for a request you made to be decided; exit 0 only once its grant is active.",
    options: { timeout: { type: "string" } },
    run: async ({ values, positionals, json }) => {
      if (!positionals[0]) throw new CliError("Name the request id.", EXIT.USAGE);
      const { api } = await session();
      return waitFor(api, positionals[0], values.timeout ? parseDuration(values.timeout) : 60, json);
    },
  },
  ack: {
    usage: "jit ack <request>",
    summary: "Acknowledge a request a teammate filed for you; its grant starts once it is also approved.",
    options: {},
    run: async ({ positionals, json }) => {
      if (!positionals[0]) throw new CliError("Name the request id.", EXIT.USAGE);
      const { api } = await session();
      const { body } = await api(`/api/v1/me/requests/${encodeURIComponent(positionals[0])}/acknowledge`, {
        method: "POST",
      });
      if (json) return (out(JSON.stringify(body)), EXIT.OK);
      out(
        body.grant
          ? `Acknowledged: ${green(`grant ${body.grant.status}`)} until ${utc(body.grant.expiresAt)}`
          : `Acknowledged: ${yellow("waiting for approval")} at ${body.link}`,
      );
      return EXIT.OK;
    },
  },
  status: {
    usage: "jit status",
    summary: "Your active and scheduled grants and pending requests.",
    options: {},
    run: async ({ json }) => {
      const { api } = await session();
      const { body } = await api("/api/v1/me/grants");
      if (json) return (out(JSON.stringify(body)), EXIT.OK);
      const line = (grant) =>
        `  ${grant.id}  ${bold(grant.resourceKey)} ${grant.permissions.join(", ")}  ${utc(grant.startsAt)} → ${utc(grant.expiresAt)}`;
      out(bold("Active"));
      out(body.active.length ? body.active.map(line).join("\n") : dim("  none"));
      if (body.scheduled.length) out(`${bold("Scheduled")}\n${body.scheduled.map(line).join("\n")}`);
      if (body.toAcknowledge?.length)
        out(
          `${bold("Filed for you (jit ack <request>)")}\n${body.toAcknowledge
            .map(
              (request) =>
                `  ${request.id}  ${request.resourceName} ${request.permissions.join(", ")}  by ${request.filedBy}`,
            )
            .join("\n")}`,
        );
      out(bold("Pending requests"));
      out(
        body.pending.length
          ? body.pending
              .map(
                (request) =>
                  `  ${request.id}  ${request.resourceName} ${request.permissions.join(", ")}  ${request.link}`,
              )
              .join("\n")
          : dim("  none"),
      );
      return EXIT.OK;
    },
  },
  end: {
    usage: 'jit end <grant> [--reason "..."]',
    summary: "End one of your grants now (its target access is removed).",
    options: { reason: { type: "string" } },
    run: async ({ values, positionals, json }) => {
      if (!positionals[0]) throw new CliError("Name the grant id (see `jit status`).", EXIT.USAGE);
      const { api } = await session();
      const { body } = await api(`/api/v1/me/grants/${encodeURIComponent(positionals[0])}/end`, {
        method: "POST",
        json: values.reason ? { reason: values.reason } : {},
      });
      if (json) out(JSON.stringify(body));
      else out(`Grant ${positionals[0]} ${red("ended")}.`);
      return EXIT.OK;
    },
  },
  extend: {
    usage: 'jit extend <grant> --by 30m --reason "..."',
    summary: "Ask for more time on a live grant (approved like a request).",
    options: { by: { type: "string" }, reason: { type: "string" } },
    run: async ({ values, positionals, json }) => {
      if (!positionals[0]) throw new CliError("Name the grant id (see `jit status`).", EXIT.USAGE);
      if (!values.by || !values.reason) throw new CliError("--by and --reason are required.", EXIT.USAGE);
      const { api } = await session();
      const { body } = await api(`/api/v1/me/grants/${encodeURIComponent(positionals[0])}/extend`, {
        method: "POST",
        json: { minutes: parseDuration(values.by), justification: values.reason },
      });
      if (json) out(JSON.stringify(body));
      else out(`Extension request ${bold(body.requestId)}: approvers decide at ${body.link}`);
      return EXIT.OK;
    },
  },
  psql: {
    usage:
      'jit psql <resource> [--request <permission> --for 30m --reason "..." [--ticket INC-1] [--timeout 15m]] [-- psql arguments]',
    summary:
      "Run psql with your active grant's one-time credential (in the environment, never on the command line or disk); with --request, ask for a grant and wait for it first.",
    options: {
      request: { type: "string" },
      for: { type: "string" },
      reason: { type: "string" },
      ticket: { type: "string" },
      timeout: { type: "string" },
    },
    run: async ({ values, positionals, rest, json }) => {
      const resource = positionals[0];
      if (!resource) throw new CliError("Name the resource.", EXIT.USAGE);
      if (values.request !== undefined) {
        if (!values.request) throw new CliError("--request names the permission (e.g. --request read).", EXIT.USAGE);
        if (!values.for) throw new CliError("--request needs --for (e.g. --for 30m).", EXIT.USAGE);
        if (!values.reason)
          throw new CliError('--request needs --reason (e.g. --reason "INC-1 replica lag").', EXIT.USAGE);
      }
      const { api } = await session();
      let grant = await activeGrantOn(api, resource, { required: values.request === undefined });
      if (!grant) {
        // No live grant: ask for one and wait for it as `jit request --wait` does. Progress goes
        // to stderr so psql's own output stays alone on stdout.
        const created = await submitRequest(api, resource, [values.request], values);
        if (!json) {
          err(`No active grant on ${resource}: asked for ${values.request} (request ${bold(created.requestId)}).`);
          err(`Approvers decide at ${created.link}`);
        }
        const waited = await waitFor(
          api,
          created.requestId,
          values.timeout ? parseDuration(values.timeout) : 60,
          json,
          err,
        );
        if (waited !== EXIT.OK) return waited;
        grant = await activeGrantOn(api, resource);
      }
      const credential = await credentialFor(api, grant.id, {});
      const connection = credential.connection;
      if (!connection) throw new CliError(`${resource}'s credential is not a PostgreSQL login.`, EXIT.REFUSED);
      return run(process.env.JIT_PSQL || "psql", rest, {
        ...process.env,
        PGHOST: connection.host,
        PGPORT: String(connection.port),
        PGDATABASE: connection.database,
        PGUSER: connection.user,
        PGPASSWORD: connection.password,
        PGAPPNAME: `jit ${grant.id}`,
      });
    },
  },
  ssh: {
    usage: "jit ssh <resource> [user@]host [--agent] [-- ssh arguments]",
    summary:
      "Run ssh with a certificate for your active grant's window, for a key pair made for this call; with --agent, the key and certificate go into your ssh-agent until the grant ends.",
    options: { agent: { type: "boolean" } },
    run: async ({ values, positionals, rest }) => {
      const [resource, destination] = positionals;
      if (!resource || !destination) throw new CliError("Name the resource and the host.", EXIT.USAGE);
      if (values.agent && !process.env.SSH_AUTH_SOCK)
        throw new CliError("--agent needs a running ssh-agent (SSH_AUTH_SOCK is not set).", EXIT.USAGE);
      const { api } = await session();
      const grant = await activeGrantOn(api, resource);
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const jwk = publicKey.export({ format: "jwk" });
      const sshString = (buffer) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(buffer.length);
        return Buffer.concat([length, buffer]);
      };
      const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
      const blob = Buffer.concat([
        sshString(Buffer.from("ecdsa-sha2-nistp256")),
        sshString(Buffer.from("nistp256")),
        sshString(point),
      ]);
      const openSshPublic = `ecdsa-sha2-nistp256 ${blob.toString("base64")} jit-${grant.id}`;
      const credential = await credentialFor(api, grant.id, { publicKey: openSshPublic });
      const certificate = credential.fields.find((field) => field.label.startsWith("Certificate"))?.value;
      if (!certificate) throw new CliError(`${resource} issued no SSH certificate.`, EXIT.REFUSED);
      // The key pair lives in a directory only this user can read: for as long as ssh runs, or,
      // with --agent, only until ssh-add has read it.
      const dir = mkdtempSync(path.join(tmpdir(), "jit-ssh-"));
      chmodSync(dir, 0o700);
      const keyFile = path.join(dir, "id_ecdsa");
      try {
        writeFileSync(keyFile, privateKey.export({ format: "pem", type: "sec1" }), { mode: 0o600 });
        writeFileSync(`${keyFile}-cert.pub`, `${certificate.trim()}\n`, { mode: 0o600 });
        if (values.agent) {
          // The agent forgets the key when the grant ends (ADR 0048): later ssh calls use it until then.
          const lifetime = Math.floor((Date.parse(grant.expiresAt) - Date.now()) / 1000);
          if (!(lifetime > 0)) throw new CliError(`The grant on ${resource} has ended.`, EXIT.REFUSED);
          const added = await run(
            process.env.JIT_SSH_ADD || "ssh-add",
            ["-q", "-t", String(lifetime), keyFile],
            process.env,
          );
          if (added !== 0) throw new CliError("ssh-add could not add the key to the agent.", EXIT.ERROR);
          rmSync(dir, { recursive: true, force: true });
          return await run(process.env.JIT_SSH || "ssh", [destination, ...rest], process.env);
        }
        return await run(
          process.env.JIT_SSH || "ssh",
          [
            "-i",
            keyFile,
            "-o",
            `CertificateFile=${keyFile}-cert.pub`,
            "-o",
            "IdentitiesOnly=yes",
            destination,
            ...rest,
          ],
          process.env,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
};

/** Long polling: each GET waits up to 25 s on the server for the request to settle. */
const waitFor = async (api, requestId, timeoutMinutes, json, say = out) => {
  const until = Date.now() + timeoutMinutes * 60_000;
  const wait = json ? { update: () => undefined, stop: () => undefined } : spinner("Waiting for approval…");
  try {
    for (;;) {
      const { body } = await api(`/api/v1/me/requests/${encodeURIComponent(requestId)}?wait=25`);
      const grant = body.grant;
      if (body.status === "APPROVED" && grant?.status === "active") {
        wait.stop();
        if (json) say(JSON.stringify(body));
        else say(`${green("Approved")}: grant ${bold(grant.id)} active until ${utc(grant.expiresAt)}.`);
        return EXIT.OK;
      }
      if (body.status !== "PENDING" && !(body.status === "APPROVED" && (!grant || grant.status === "scheduled"))) {
        wait.stop();
        if (json) say(JSON.stringify(body));
        else
          say(
            `${red(body.status === "APPROVED" ? `Grant ${grant?.status}` : body.status.toLowerCase())}: ${body.link}`,
          );
        return EXIT.REFUSED;
      }
      wait.update(
        body.status === "PENDING"
          ? `Waiting for approval (${body.approvals}/${body.approvalsRequired}) — ${body.link}`
          : `Approved; the grant starts ${utc(grant.startsAt)}`,
      );
      if (Date.now() > until) {
        wait.stop();
        if (json) say(JSON.stringify(body));
        else err(`Still ${body.status.toLowerCase()} after ${timeoutMinutes} minutes: ${body.link}`);
        return EXIT.TIMEOUT;
      }
    }
  } finally {
    wait.stop();
  }
};

const HELP = `jit ${VERSION}: just-in-time access from the terminal

Usage: jit <command> [options]   (jit <command> --help for one command)

${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
  .join("\n")}

Global options: --json (machine-readable output), --help, --version
Environment: JIT_PORTAL (portal URL for login), JIT_CONFIG_DIR (where the refresh token is kept),
             JIT_KEYCHAIN (auto: the OS keychain when there is one; off: the file), NO_COLOR
Exit codes: 0 ok, 1 error, 2 usage or invalid input, 3 not signed in, 4 not found,
            5 refused (denied, expired, ended, conflict), 6 timed out, 7 rate limited;
            psql and ssh exit with the tool's own code.
Docs: docs/cli.md`;

export const main = async (argv) => {
  const split = argv.indexOf("--");
  const own = split >= 0 ? argv.slice(0, split) : argv;
  const rest = split >= 0 ? argv.slice(split + 1) : [];
  const [name, ...args] = own;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    out(HELP);
    return name ? EXIT.OK : EXIT.USAGE;
  }
  if (name === "--version" || name === "-v") return (out(VERSION), EXIT.OK);
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : null;
  if (!command) {
    err(`Unknown command: ${name}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...command.options, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    err(`${error.message}\nUsage: ${command.usage}`);
    return EXIT.USAGE;
  }
  if (parsed.values.help) {
    out(`${command.summary}\n\nUsage: ${command.usage}\n\nAlso: --json, --help. Exit codes: jit --help.`);
    return EXIT.OK;
  }
  try {
    return await command.run({
      values: parsed.values,
      positionals: parsed.positionals,
      rest,
      json: Boolean(parsed.values.json),
    });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    if (parsed.values.json) err(JSON.stringify({ error: error.message, exitCode: error.code }));
    else err(`${red("error")}: ${error.message}`);
    return error.code;
  }
};

const invokedDirectly = (() => {
  try {
    return realpathSync(process.argv[1] ?? "") === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      err(`jit: ${error?.stack ?? error}`);
      process.exit(EXIT.ERROR);
    },
  );
}

// Where `jit` keeps the refresh token (docs/decisions/0048-cli-keychain-and-ssh-agent.md): the OS
// keychain when one is there (libsecret's `secret-tool` on Linux, `security` on macOS), else a
// file readable by the user alone. JIT_KEYCHAIN=off forces the file; auto (the default) picks.
// The token never goes on a command line: secret-tool reads it from stdin, and `security` gets
// its command on stdin (`security -i`), because another user's `ps` shows arguments.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

const SERVICE = "jit-cli";

/** An executable of that name on PATH, or null. */
export const onPath = (name, env = process.env) => {
  for (const dir of String(env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
};

/**
 * Which store to use: "file", "secret-tool" or "security". JIT_KEYCHAIN: off (file), auto or
 * unset (a keychain if its tool is on PATH), secret-tool or security (that one, or an error).
 */
export const selectKeychain = ({ env = process.env, platform = process.platform } = {}) => {
  const wanted = String(env.JIT_KEYCHAIN ?? "auto").toLowerCase();
  if (wanted === "off" || wanted === "file") return "file";
  if (wanted === "secret-tool" || wanted === "security") {
    if (!onPath(wanted, env)) throw new Error(`JIT_KEYCHAIN=${wanted}, but ${wanted} is not on PATH.`);
    return wanted;
  }
  if (wanted !== "auto") throw new Error(`JIT_KEYCHAIN must be off or auto (or secret-tool, security), not ${wanted}.`);
  if (platform === "darwin" && onPath("security", env)) return "security";
  if (platform !== "darwin" && platform !== "win32" && onPath("secret-tool", env)) return "secret-tool";
  return "file";
};

const quote = (value) => `"${String(value).replace(/["\\]/g, "\\$&")}"`;

const runTool = (kind, args, input, env) => {
  const result = spawnSync(kind, args, { input, env, encoding: "utf8", timeout: 15_000 });
  return { ok: result.status === 0 && !result.error, stdout: result.stdout ?? "" };
};

/** Stores the token for this portal; false when the keychain refused (locked, no session bus). */
export const keychainStore = (kind, portal, token, env = process.env) =>
  kind === "secret-tool"
    ? runTool(
        "secret-tool",
        ["store", `--label=jit refresh token for ${portal}`, "service", SERVICE, "portal", portal],
        token,
        env,
      ).ok
    : runTool(
        "security",
        ["-i"],
        `add-generic-password -U -s ${SERVICE} -a ${quote(portal)} -l ${quote(`jit refresh token for ${portal}`)} -w ${quote(token)}\n`,
        env,
      ).ok;

/** The stored token for this portal, or null. */
export const keychainLookup = (kind, portal, env = process.env) => {
  const answer =
    kind === "secret-tool"
      ? runTool("secret-tool", ["lookup", "service", SERVICE, "portal", portal], "", env)
      : runTool("security", ["find-generic-password", "-s", SERVICE, "-a", portal, "-w"], "", env);
  const token = answer.stdout.trim();
  return answer.ok && token ? token : null;
};

export const keychainClear = (kind, portal, env = process.env) =>
  kind === "secret-tool"
    ? runTool("secret-tool", ["clear", "service", SERVICE, "portal", portal], "", env).ok
    : runTool("security", ["delete-generic-password", "-s", SERVICE, "-a", portal], "", env).ok;

/**
 * A real OpenSSH server for the SSH connector's tests: Debian's sshd on a loopback port of its
 * own, with a config of its own that trusts the portal's CA (TrustedUserCAKeys) and reads a KRL
 * (RevokedKeys), and a login user created for the run and removed afterwards. Logins go through
 * the real `ssh` client. Needs root (to run sshd and add the user) and /usr/sbin/sshd, which
 * `.ci/run` installs when missing.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./free-port";

export type TSshd = {
  port: number;
  /** The Unix user the certificates' principal must name. */
  user: string;
  dir: string;
  /** Where sshd reads the KRL on every authentication. */
  krlPath: string;
  /** Replaces the trusted CA keys (one OpenSSH public key line each); sshd rereads on each login. */
  trustCas: (caPublicKeys: string[]) => void;
  /** Logs in with the key and certificate and runs `echo ok`; `ok` is true when that printed "ok". */
  login: (options: { privateKeyPath: string; certificatePath: string }) => TSshLogin;
  /** Opens a session that runs `command` until it ends or is ended; the real ssh client, in the background. */
  openSession: (options: { privateKeyPath: string; certificatePath: string; command: string }) => TSshSession;
  /** The session guard's command line on this host: the repository's deploy/ssh/jit-session-guard, and this sshd's KRL. */
  sessionGuard: string;
  /** A new key pair in the run's folder: the private key's path and the public key line. */
  newKeyPair: (name: string) => { privateKeyPath: string; publicKey: string };
  log: () => string;
  stop: () => Promise<void>;
};
export type TSshLogin = { ok: boolean; status: number | null; stdout: string; stderr: string };
export type TSshSession = {
  output: () => string;
  /** When the ssh client exited (Date.now()), and how. */
  exited: Promise<{ at: number; status: number | null; signal: NodeJS.Signals | null }>;
  close: () => void;
};

export const SSHD_PATH = "/usr/sbin/sshd";

const waitForPort = async (port: number, child: ChildProcess, deadline = Date.now() + 10_000): Promise<void> => {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => (socket.destroy(), resolve(false)));
      socket.connect(port, "127.0.0.1");
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not listen on ${port} in time`);
};

const run = (command: string, args: string[]) => {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stderr || result.status}`);
  return result.stdout;
};

export const startSshd = async (options: { caPublicKeys?: string[] } = {}): Promise<TSshd> => {
  if (!existsSync(SSHD_PATH)) throw new Error(`${SSHD_PATH} is missing: apt-get install -y openssh-server`);
  const dir = mkdtempSync(path.join(tmpdir(), "jit-sshd-"));
  chmodSync(dir, 0o755);
  const file = (name: string) => path.join(dir, name);
  const user = `jit${randomBytes(4).toString("hex")}`;
  run("useradd", ["-m", user]);
  // A fresh account is locked ("!"); sshd refuses every key of a locked account.
  run("usermod", ["-p", "*", user]);
  mkdirSync("/run/sshd", { recursive: true });
  run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", file("host_key")]);
  const trustCas = (caPublicKeys: string[]) =>
    writeFileSync(file("ca.pub"), caPublicKeys.map((key) => `${key}\n`).join(""));
  trustCas(options.caPublicKeys ?? []);
  run("ssh-keygen", ["-k", "-f", file("krl")]);
  // The host's copy of the guard, where the login user can run it (the checkout may not be).
  copyFileSync(path.resolve(import.meta.dirname, "../../deploy/ssh/jit-session-guard"), file("jit-session-guard"));
  chmodSync(file("jit-session-guard"), 0o755);
  const port = await freePort();
  writeFileSync(
    file("sshd_config"),
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${file("host_key")}`,
      `PidFile ${file("sshd.pid")}`,
      `TrustedUserCAKeys ${file("ca.pub")}`,
      `RevokedKeys ${file("krl")}`,
      "AuthorizedKeysFile none",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "StrictModes no",
      `AllowUsers ${user}`,
      "LogLevel VERBOSE",
      // For the session guard (deploy/ssh/jit-session-guard): it reads the certificate from SSH_USER_AUTH.
      "ExposeAuthInfo yes",
    ].join("\n") + "\n",
  );
  const child = spawn(SSHD_PATH, ["-D", "-f", file("sshd_config"), "-E", file("sshd.log")], { stdio: "ignore" });
  await waitForPort(port, child);

  const clientArgs = (privateKeyPath: string, certificatePath: string, command: string) => [
    "-F",
    "/dev/null",
    "-i",
    privateKeyPath,
    "-o",
    `CertificateFile=${certificatePath}`,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "IdentityAgent=none",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "ConnectTimeout=5",
    "-p",
    String(port),
    `${user}@127.0.0.1`,
    command,
  ];

  const login: TSshd["login"] = ({ privateKeyPath, certificatePath }) => {
    const result = spawnSync("ssh", clientArgs(privateKeyPath, certificatePath, "echo ok"), {
      encoding: "utf8",
      timeout: 15_000,
    });
    return {
      ok: result.status === 0 && result.stdout.trim() === "ok",
      status: result.status,
      stdout: result.stdout,
      stderr: result.stderr,
    };
  };

  const openSession: TSshd["openSession"] = ({ privateKeyPath, certificatePath, command }) => {
    const client = spawn("ssh", clientArgs(privateKeyPath, certificatePath, command), {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    client.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    client.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const exited = new Promise<{ at: number; status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      client.once("exit", (status, signal) => resolve({ at: Date.now(), status, signal })),
    );
    return { output: () => output, exited, close: () => void client.kill("SIGKILL") };
  };

  const newKeyPair: TSshd["newKeyPair"] = (name) => {
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file(name)]);
    return { privateKeyPath: file(name), publicKey: readFileSync(file(`${name}.pub`), "utf8").trim() };
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    spawnSync("userdel", ["-r", "-f", user], { encoding: "utf8" });
    rmSync(dir, { recursive: true, force: true });
  };

  return {
    port,
    user,
    dir,
    krlPath: file("krl"),
    trustCas,
    login,
    openSession,
    sessionGuard: `${file("jit-session-guard")} ${file("krl")}`,
    newKeyPair,
    log: () => (existsSync(file("sshd.log")) ? readFileSync(file("sshd.log"), "utf8") : ""),
    stop,
  };
};

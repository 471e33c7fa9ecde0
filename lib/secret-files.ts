import { readFileSync } from "node:fs";

/**
 * `NAME_FILE=/path` for every credential: the value is read from that file (a Kubernetes
 * Secret mounted as a volume, a Docker secret), so it never sits in the process environment,
 * where `kubectl describe`, crash dumps and child processes would see it.
 */
export const SECRET_VARIABLES = [
  "AUTH_SECRET",
  "OIDC_CLIENT_SECRET",
  "DATABASE_URL",
  "REDIS_URL",
  "SMTP_URL",
  "CHAT_WEBHOOK_URL",
  "SLACK_BOT_TOKEN",
  "SLACK_SIGNING_SECRET",
  "TEAMS_WEBHOOK_URL",
  "AUDIT_ANCHOR_KEY",
  "AUDIT_ANCHOR_SINK_TOKEN",
  // One encryption secret per purpose, and the one being rotated out (ADR 0033).
  "WEBHOOK_ENCRYPTION_SECRET",
  "WEBHOOK_ENCRYPTION_SECRET_PREVIOUS",
  "SIGNING_KEY_ENCRYPTION_SECRET",
  "SIGNING_KEY_ENCRYPTION_SECRET_PREVIOUS",
  "CONNECTOR_ENCRYPTION_SECRET",
  "CONNECTOR_ENCRYPTION_SECRET_PREVIOUS",
] as const;
export type TSecretVariable = (typeof SECRET_VARIABLES)[number];

export type TReadFile = (path: string) => string;

const readUtf8: TReadFile = (path) => readFileSync(path, "utf8");

/**
 * Replaces each `NAME_FILE` in `env` by `NAME` holding the file's content, with one trailing
 * newline (`\n` or `\r\n`) trimmed, as `echo … > file` and most secret stores write one.
 * Empty values count as unset, as everywhere in the configuration. Problems name the
 * variable; the file's content never appears in them.
 */
export const resolveSecretFiles = (
  env: Record<string, string | undefined>,
  readFile: TReadFile = readUtf8,
): { env: Record<string, string | undefined>; problems: string[] } => {
  const resolved: Record<string, string | undefined> = { ...env };
  const problems: string[] = [];
  const isSet = (value: string | undefined): value is string => value !== undefined && value !== "";
  for (const name of SECRET_VARIABLES) {
    const fileName = `${name}_FILE`;
    const path = env[fileName];
    delete resolved[fileName];
    if (!isSet(path)) continue;
    if (isSet(env[name])) {
      problems.push(`${name}, ${fileName}: set only one of them (${fileName} reads the value from a file)`);
      continue;
    }
    let content: string;
    try {
      content = readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(`${fileName}: cannot read ${path} (${code ?? (error as Error).message})`);
      continue;
    }
    const value = content.replace(/\r?\n$/, "");
    if (value === "") problems.push(`${fileName}: ${path} is empty`);
    else resolved[name] = value;
  }
  return { env: resolved, problems };
};

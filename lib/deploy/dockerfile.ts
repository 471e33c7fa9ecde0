/**
 * A linter for the production Dockerfile, since nothing here can build it: the rules of
 * docs/decisions/0016-container-image.md, checked on the text. Returns one problem a line,
 * empty when the file keeps every rule.
 */

export type TInstruction = { keyword: string; args: string; line: number };
export type TStage = { name: string | null; from: string; instructions: TInstruction[] };

/** Instructions with continuation lines joined and comments dropped. */
export const parseDockerfile = (text: string): TInstruction[] => {
  const instructions: TInstruction[] = [];
  let pending: { text: string; line: number } | null = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (pending === null && (trimmed === "" || trimmed.startsWith("#"))) return;
    if (pending !== null && trimmed.startsWith("#")) return;
    const continues = trimmed.endsWith("\\");
    const body = continues ? trimmed.slice(0, -1) : trimmed;
    pending =
      pending === null ? { text: body, line: index + 1 } : { text: `${pending.text} ${body}`, line: pending.line };
    if (continues) return;
    const match = /^(\S+)\s*(.*)$/.exec(pending.text.trim());
    if (match)
      instructions.push({ keyword: (match[1] ?? "").toUpperCase(), args: (match[2] ?? "").trim(), line: pending.line });
    pending = null;
  });
  return instructions;
};

/** Build arguments declared before the first FROM, with their defaults. */
const globalArgs = (instructions: TInstruction[]): Map<string, string> => {
  const args = new Map<string, string>();
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") break;
    if (instruction.keyword !== "ARG") continue;
    const [name, value = ""] = instruction.args.split("=", 2);
    if (name) args.set(name.trim(), value.trim().replace(/^"|"$/g, ""));
  }
  return args;
};

export const stagesOf = (instructions: TInstruction[]): TStage[] => {
  const stages: TStage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      stages.push({ from: match?.[1] ?? instruction.args, name: match?.[2] ?? null, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
};

const SECRET_NAME =
  /SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|^DATABASE_URL$|^REDIS_URL$|^SMTP_URL$|^CHAT_WEBHOOK_URL$/i;

/** `ENV A=1 B=2` or the legacy `ENV A 1`: the names set. */
const envNames = (args: string): string[] => {
  if (!args.includes("=")) return [args.split(/\s+/)[0] ?? ""];
  return [...args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)].map((match) => match[1] ?? "");
};

const execForm = (args: string): string[] | null => {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((item) => typeof item === "string") ? (parsed as string[]) : null;
  } catch {
    return null;
  }
};

export const lintDockerfile = (text: string): string[] => {
  const problems: string[] = [];
  const instructions = parseDockerfile(text);
  const args = globalArgs(instructions);
  const stages = stagesOf(instructions);
  const stageNames = new Set(stages.flatMap((stage) => (stage.name ? [stage.name] : [])));
  if (stages.length < 2) problems.push("multi-stage: expected a build stage and a runtime stage");

  for (const stage of stages) {
    const image = stage.from.replace(/^\$\{?(\w+)\}?$/, (_, name: string) => args.get(name) ?? `\${${name}}`);
    if (stageNames.has(image)) continue;
    const tag = /^[^@]+?:([^:@/]+)(@sha256:[0-9a-f]{64})?$/.exec(image);
    if (!tag) problems.push(`FROM ${stage.from}: base image must be pinned by version (name:version)`);
    else if (!/^\d+\.\d+\.\d+/.test(tag[1] ?? ""))
      problems.push(`FROM ${image}: tag "${tag[1]}" is not a full version (e.g. 20.20.2-bookworm-slim)`);
  }
  for (const instruction of instructions) {
    if (instruction.keyword === "ENV" || instruction.keyword === "ARG") {
      for (const name of instruction.keyword === "ENV"
        ? envNames(instruction.args)
        : [instruction.args.split("=")[0]?.trim() ?? ""]) {
        if (SECRET_NAME.test(name))
          problems.push(
            `line ${instruction.line}: ${instruction.keyword} ${name}: secrets never go into an image (pass them at run time, e.g. ${name}_FILE)`,
          );
      }
    }
    if (
      (instruction.keyword === "COPY" || instruction.keyword === "ADD") &&
      /(^|\s|\/)\.env(\s|$|\.)/.test(instruction.args)
    ) {
      problems.push(`line ${instruction.line}: ${instruction.keyword} of an .env file`);
    }
  }

  const runtime = stages.at(-1);
  if (!runtime) return [...problems, "no FROM"];
  const users = runtime.instructions.filter((instruction) => instruction.keyword === "USER");
  const user = users.at(-1)?.args ?? "";
  const uid = user.split(":")[0] ?? "";
  if (!user) problems.push("runtime stage: no USER (it would run as root)");
  else if (!/^\d+$/.test(uid))
    problems.push(`USER ${user}: use a numeric uid, so Kubernetes' runAsNonRoot can verify it`);
  else if (Number(uid) === 0) problems.push(`USER ${user}: runs as root`);
  const healthcheck = runtime.instructions.find((instruction) => instruction.keyword === "HEALTHCHECK");
  if (!healthcheck) problems.push("runtime stage: no HEALTHCHECK");
  else if (!healthcheck.args.includes("/api/health")) problems.push("HEALTHCHECK must ask /api/health");
  const cmd = runtime.instructions.filter((instruction) => instruction.keyword === "CMD").at(-1);
  if (!cmd) problems.push("runtime stage: no CMD");
  else if (!execForm(cmd.args))
    problems.push("CMD: use the exec form (JSON array), so SIGTERM reaches node, not a shell");
  if (
    runtime.instructions.some(
      (instruction) => instruction.keyword === "RUN" && /npm (ci|install)\b(?!.*--omit=dev)/.test(instruction.args),
    )
  ) {
    problems.push("runtime stage: installs dependencies itself (copy production dependencies from a stage)");
  }
  if (!instructions.some((instruction) => instruction.keyword === "RUN" && /\bnpm ci\b/.test(instruction.args)))
    problems.push("no `npm ci` stage");
  if (
    !instructions.some(
      (instruction) => instruction.keyword === "RUN" && /npm run build|next build/.test(instruction.args),
    )
  )
    problems.push("no build (`npm run build`)");
  if (
    !runtime.instructions.some(
      (instruction) => instruction.keyword === "COPY" && instruction.args.includes(".next/standalone"),
    )
  ) {
    problems.push("runtime stage: does not copy the standalone server (.next/standalone)");
  }
  return problems;
};

/** The exec-form command of the runtime stage's CMD, for checking that its entry exists. */
export const runtimeCommand = (text: string): string[] => {
  const runtime = stagesOf(parseDockerfile(text)).at(-1);
  const cmd = runtime?.instructions.filter((instruction) => instruction.keyword === "CMD").at(-1);
  return cmd ? (execForm(cmd.args) ?? []) : [];
};

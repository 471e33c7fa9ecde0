/**
 * The shell blocks of the README and docs/, for the doc tests. Every ```sh block says who runs
 * its commands, so none is left to rot: `runnable` (the doc test runs each command against a
 * test database), `ci` (`.ci/run` runs them on every submission), `bench` (benchmarks and
 * drills, run on demand; their numbers are in the docs), `manual` (needs what a development
 * machine lacks: a container engine, a cluster, a running server with credentials).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./run";

export const BLOCK_TAGS = ["runnable", "ci", "bench", "manual"] as const;
export type TBlockTag = (typeof BLOCK_TAGS)[number];
export type TShellBlock = { file: string; line: number; tag: string | null; commands: string[] };

/** README.md and every Markdown page under docs/ (ADRs included), as paths from the root. */
export const docFiles = (): string[] => {
  const walk = (dir: string): string[] =>
    readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? walk(path.join(dir, entry.name))
        : entry.name.endsWith(".md")
          ? [path.join(dir, entry.name)]
          : [],
    );
  return ["README.md", ...walk("docs")];
};

/** Commands are lines; a trailing `\` joins the next line; comments and blank lines drop out. */
const commandsOf = (body: string[]): string[] => {
  const commands: string[] = [];
  let pending = "";
  for (const raw of body) {
    const line = raw.replace(/\s+#\s.*$/, "").trimEnd();
    if (!pending && (line.trim() === "" || line.trim().startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    commands.push((pending + line).trim());
    pending = "";
  }
  if (pending) commands.push(pending.trim());
  return commands;
};

export const shellBlocks = (file: string): TShellBlock[] => {
  const lines = readFileSync(path.join(ROOT, file), "utf8").split("\n");
  const blocks: TShellBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const open = /^\s*```(sh|bash|shell)(?:\s+(\S+))?\s*$/.exec(lines[index] ?? "");
    if (!open) continue;
    const start = index;
    const body: string[] = [];
    for (index += 1; index < lines.length && !(lines[index] ?? "").trim().startsWith("```"); index += 1)
      body.push(lines[index] ?? "");
    blocks.push({ file, line: start + 1, tag: open[2] ?? null, commands: commandsOf(body) });
  }
  return blocks;
};

/** `npm run <name>` and `npm test` / `npm start` in a command, as script names. */
export const npmScriptsIn = (command: string): string[] =>
  [...command.matchAll(/\bnpm\s+(?:run\s+([\w:.-]+)|(test|start)\b)/g)].map((match) => match[1] ?? match[2] ?? "");

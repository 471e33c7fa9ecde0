/** The docs stay true to the repository: every shell block has an owner, every script exists, every link resolves. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { BLOCK_TAGS, docFiles, npmScriptsIn, shellBlocks } from "./doc-blocks";
import { ROOT } from "./run";

const scripts = Object.keys(
  (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts,
);
const blocks = docFiles().flatMap(shellBlocks);

describe("docs", () => {
  it("tag every shell block with who runs it", () => {
    const untagged = blocks
      .filter((block) => !(BLOCK_TAGS as readonly (string | null)[]).includes(block.tag))
      .map((block) => `${block.file}:${block.line} (${block.tag ?? "no tag"})`);
    assert.deepEqual(untagged, [], `tag these blocks with one of ${BLOCK_TAGS.join(", ")}`);
  });

  it("name only npm scripts that package.json has", () => {
    const unknown = blocks.flatMap((block) =>
      block.commands.flatMap((command) =>
        npmScriptsIn(command)
          .filter((name) => !scripts.includes(name))
          .map((name) => `${block.file}:${block.line} npm run ${name}`),
      ),
    );
    assert.deepEqual(unknown, []);
  });

  it("run in CI exactly what the ci blocks say", () => {
    const ciRun = readFileSync(path.join(ROOT, ".ci/run"), "utf8");
    const missing = blocks
      .filter((block) => block.tag === "ci")
      .flatMap((block) => block.commands.flatMap((command) => command.split("&&").map((part) => part.trim())))
      .filter((command) => command !== "npm run dev" && !ciRun.includes(command));
    assert.deepEqual(missing, [], ".ci/run must run every command of a ci block (npm run dev is run by its own test)");
  });

  it("link only to files that exist", () => {
    const broken = docFiles().flatMap((file) => {
      const text = readFileSync(path.join(ROOT, file), "utf8");
      return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((match) => match[1] ?? "")
        .filter((target) => !/^[a-z]+:/.test(target) && !target.startsWith("#"))
        .map((target) => target.split("#")[0] ?? "")
        .filter((target) => !existsSync(path.join(ROOT, path.dirname(file), target)))
        .map((target) => `${file} -> ${target}`);
    });
    assert.deepEqual(broken, []);
  });
});

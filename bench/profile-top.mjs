/**
 * `node bench/profile-top.mjs FILE.cpuprofile [--top N]`: where a V8 CPU profile's time went.
 *
 * Prints the profile's length and busy share, then self time grouped three ways: by package
 * (node_modules/<name>, the app's own code by top folder, node: internals, V8 itself), by
 * function (name and file:line), and the inclusive time of the app's own functions (self plus
 * everything they called), which is what "the cost of an operation" means. Idle and the
 * garbage collector are shown apart. A diagnostic for issue 16's profiling
 * (docs/bench-load.md), not part of any test.
 */
import { readFileSync } from "node:fs";

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/profile-top.mjs FILE.cpuprofile [--top N]");
  process.exit(2);
}
const topIndex = rest.indexOf("--top");
const TOP = topIndex >= 0 ? Number(rest[topIndex + 1]) : 25;

const profile = JSON.parse(readFileSync(file, "utf8"));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

// Self time per node from the sample deltas (microseconds).
const self = new Map();
profile.samples.forEach((id, index) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (frame) => {
  const url = frame.url || "";
  const match = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (match) return match[1];
  if (url.startsWith("node:")) return "node:internals";
  if (!url) return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  const app = url.match(/\.next\/(?:standalone\/\.next\/)?server\/(?:chunks\/)?(ssr\/)?/);
  if (app) return `.next/server${app[1] ? " (ssr)" : ""}`;
  const local = url.replace(/^file:\/\//, "").match(/\/(app|lib|api|workers)\//);
  return local ? `${local[1]}/` : url.split("/").slice(-2).join("/");
};

const add = (map, key, value) => map.set(key, (map.get(key) ?? 0) + value);
const byPackage = new Map();
const byFunction = new Map();
for (const [id, micros] of self) {
  const frame = nodes.get(id).callFrame;
  add(byPackage, where(frame), micros);
  const short = (frame.url || "").split("/").slice(-2).join("/");
  add(byFunction, `${frame.functionName || "(anonymous)"} ${short}:${frame.lineNumber + 1}`, micros);
}

// Inclusive time of each function name in the app's own code, counted once per sample.
const inclusive = new Map();
profile.samples.forEach((id, index) => {
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const frame = nodes.get(at).callFrame;
    const url = frame.url || "";
    if (url.includes("node_modules") || url.startsWith("node:") || !url) continue;
    const key = `${frame.functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${frame.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    add(inclusive, key, profile.timeDeltas[index] ?? 0);
  }
});

const ms = (micros) => (micros / 1000).toFixed(0).padStart(8);
const share = (micros) => `${((100 * micros) / total).toFixed(1).padStart(5)} %`;
const print = (title, map, n = TOP) => {
  console.log(`\n${title}`);
  for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${ms(micros)} ms ${share(micros)}  ${key}`);
  }
};

const idle = byPackage.get("(idle)") ?? 0;
console.log(
  `${file}\nprofile ${ms(total)} ms, busy ${ms(total - idle)} ms (${((100 * (total - idle)) / total).toFixed(1)} %)`,
);
print("self time by package", byPackage);
print("self time by function", byFunction);
print("inclusive time of the app's own functions", inclusive);

/**
 * `npm run lockfile:fix`: run after `npm install` changes package-lock.json.
 *
 * The registry this project is built against serves only the Linux builds of packages
 * published per platform (Next's swc, Tailwind's oxide, ...). `npm install` leaves the
 * others out of package-lock.json, and then `npm ci` refuses the lock as "out of sync".
 * This adds an entry for each missing platform package with the os/cpu its name encodes,
 * so npm sees the lock complete and skips those entries on this platform without fetching
 * them. See docs/decisions/0006-lockfile-platform-stubs.md.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./run";

type TLockEntry = {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
};
type TLock = { packages: Record<string, TLockEntry> };

const OS = ["android", "darwin", "freebsd", "linux", "win32", "openharmony", "sunos", "aix", "netbsd", "openbsd"];
const CPU: Record<string, string> = {
  arm64: "arm64",
  x64: "x64",
  arm: "arm",
  ia32: "ia32",
  loong64: "loong64",
  ppc64: "ppc64",
  riscv64: "riscv64",
  s390x: "s390x",
  wasm32: "wasm32",
  universal: "arm64",
};

/** Reads the platform out of a name such as `@next/swc-linux-arm64-musl` or `oxide-wasm32-wasi`. */
export const platformOf = (name: string): Pick<TLockEntry, "os" | "cpu" | "libc"> | null => {
  const parts = path.basename(name).split("-");
  const os = parts.find((part) => OS.includes(part));
  const cpu = parts.map((part) => CPU[part]).find(Boolean);
  if (!cpu) return null;
  const libc =
    parts.includes("musl") || parts.includes("musleabihf")
      ? ["musl"]
      : parts.includes("gnu") || parts.includes("gnueabihf")
        ? ["glibc"]
        : undefined;
  return { ...(os ? { os: [os] } : {}), cpu: [cpu], ...(libc ? { libc } : {}) };
};

export const addPlatformStubs = (lock: TLock): string[] => {
  const added: string[] = [];
  for (const [location, entry] of Object.entries(lock.packages)) {
    for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
      const base = location === "" ? "" : `${location}/`;
      const nested = `${base}node_modules/${name}`;
      if (lock.packages[nested] || lock.packages[`node_modules/${name}`]) continue;
      const platform = platformOf(name);
      if (!platform) continue;
      lock.packages[`node_modules/${name}`] = {
        version,
        ...(entry.dev ? { dev: true } : {}),
        optional: true,
        ...platform,
      };
      added.push(`${name}@${version}`);
    }
  }
  lock.packages = Object.fromEntries(
    Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
  );
  return added;
};

const main = () => {
  const file = path.join(ROOT, "package-lock.json");
  const lock = JSON.parse(readFileSync(file, "utf8")) as TLock;
  const added = addPlatformStubs(lock);
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(
    added.length
      ? `added ${added.length} platform entries:\n  ${added.join("\n  ")}`
      : "package-lock.json already lists every platform package",
  );
};

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main();

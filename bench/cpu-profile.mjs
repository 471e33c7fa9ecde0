/**
 * Preload (`--import ./bench/cpu-profile.mjs`, allowed in NODE_OPTIONS where `--cpu-prof` is
 * not): profiles the whole process with the inspector and writes
 * `<BENCH_PROFILE_DIR>/<script>-<pid>.cpuprofile` when it exits (process.exit, as the servers
 * do on SIGTERM). The inspector answers the same thread synchronously, so the exit handler can
 * write. Used by `npm run bench:load -- --cpu-profile`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.start");
  const script = path.basename(process.argv[1] ?? "node").replace(/\.\w+$/, "");
  process.on("exit", () => {
    session.post("Profiler.stop", (error, result) => {
      if (error || !result) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${script}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addPlatformStubs, platformOf } from "./lockfile-platform-stubs";

describe("lockfile platform entries", () => {
  it("reads the platform from a package name", () => {
    assert.deepEqual(platformOf("@next/swc-darwin-arm64"), { os: ["darwin"], cpu: ["arm64"] });
    assert.deepEqual(platformOf("@unrs/resolver-binding-linux-arm-musleabihf"), {
      os: ["linux"],
      cpu: ["arm"],
      libc: ["musl"],
    });
    assert.deepEqual(platformOf("@tailwindcss/oxide-linux-arm-gnueabihf"), {
      os: ["linux"],
      cpu: ["arm"],
      libc: ["glibc"],
    });
    assert.deepEqual(platformOf("@tailwindcss/oxide-wasm32-wasi"), { cpu: ["wasm32"] });
    assert.equal(platformOf("left-pad"), null);
  });

  it("adds only the missing platform packages, and never one this machine needs", () => {
    const lock = {
      packages: {
        "": {},
        "node_modules/next": {
          version: "1.0.0",
          optionalDependencies: {
            "@next/swc-linux-x64-gnu": "1.0.0",
            "@next/swc-win32-x64-msvc": "1.0.0",
            sharp: "1.0.0",
          },
        },
        "node_modules/@next/swc-linux-x64-gnu": { version: "1.0.0" },
      },
    };
    assert.deepEqual(addPlatformStubs(lock), ["@next/swc-win32-x64-msvc@1.0.0"]);
    assert.deepEqual(lock.packages["node_modules/@next/swc-win32-x64-msvc" as keyof typeof lock.packages], {
      version: "1.0.0",
      optional: true,
      os: ["win32"],
      cpu: ["x64"],
    });
    assert.deepEqual(addPlatformStubs(lock), [], "idempotent");
  });
});

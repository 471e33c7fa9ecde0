import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCookieJar } from "./load-client";

const headers = (...cookies: string[]): Headers => {
  const result = new Headers();
  for (const cookie of cookies) result.append("set-cookie", cookie);
  return result;
};

describe("the load bench's cookie jar", () => {
  it("keeps cookies per host name, like a browser (the port is no part of their scope)", () => {
    const jar = createCookieJar();
    jar.store(
      new URL("http://localhost:3500/api/auth/csrf"),
      headers("next-auth.csrf-token=abc; Path=/; HttpOnly; SameSite=Lax"),
    );
    assert.equal(jar.header(new URL("http://localhost:3501/auth")), "next-auth.csrf-token=abc");
    assert.equal(jar.header(new URL("http://127.0.0.1:3500/")), "");
  });

  it("sends a cookie only under its path", () => {
    const jar = createCookieJar();
    jar.store(new URL("http://localhost:3501/auth"), headers("_interaction=u1; path=/interaction/u1; httponly"));
    assert.equal(jar.header(new URL("http://localhost:3501/interaction/u1")), "_interaction=u1");
    assert.equal(jar.header(new URL("http://localhost:3501/interaction/u1/login")), "_interaction=u1");
    assert.equal(jar.header(new URL("http://localhost:3501/interaction/u10")), "");
    assert.equal(jar.header(new URL("http://localhost:3501/auth")), "");
  });

  it("forgets a cookie that is cleared or expired", () => {
    const jar = createCookieJar();
    const url = new URL("http://localhost:3500/");
    jar.store(url, headers("a=1; Path=/", "b=2; Path=/"));
    jar.store(
      url,
      headers("a=; Path=/; Max-Age=0", `b=2; Path=/; Expires=${new Date(Date.now() - 1000).toUTCString()}`),
    );
    assert.equal(jar.header(url), "");
    assert.deepEqual(jar.names("localhost"), []);
  });
});

import { describe, expect, it } from "vitest";
import { isLoopback, listenOptionsProblem, originOf } from "./listen-options.js";

describe("listen options", () => {
  it("tells loopback addresses from the others", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST"]) expect(isLoopback(host)).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.2", "10.0.0.1", "example.com", "128.0.0.1"]) expect(isLoopback(host)).toBe(false);
  });

  it("accepts loopback in clear text, and a public address only with TLS or --insecure-public", () => {
    expect(listenOptionsProblem({ host: "127.0.0.1", port: 8788 })).toBeUndefined();
    expect(listenOptionsProblem({ host: "0.0.0.0", port: 8788 })).toMatch(/refusing to serve on 0\.0\.0\.0 without TLS/);
    expect(listenOptionsProblem({ host: "0.0.0.0", port: 8788, tlsCert: "c.pem", tlsKey: "k.pem" })).toBeUndefined();
    expect(listenOptionsProblem({ host: "0.0.0.0", port: 8788, insecurePublic: true })).toBeUndefined();
  });

  it("names what is wrong with a port or half a TLS pair", () => {
    expect(listenOptionsProblem({ host: "127.0.0.1", port: 70000 })).toMatch(/--port/);
    expect(listenOptionsProblem({ host: "127.0.0.1", port: 1, tlsCert: "c.pem" })).toMatch(/--tls-cert and --tls-key go together/);
  });

  it("writes origins as browsers do", () => {
    expect(originOf("127.0.0.1", 8788, false)).toBe("http://127.0.0.1:8788");
    expect(originOf("::1", 443, true)).toBe("https://[::1]:443");
  });
});

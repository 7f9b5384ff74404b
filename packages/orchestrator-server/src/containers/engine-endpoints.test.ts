import { describe, expect, it } from "vitest";
import { parseEngineEndpoint, resolveEngineEndpoints } from "./engine-endpoints.js";

const urls = (list: { url: string }[]) => list.map((e) => e.url);

describe("engine endpoints", () => {
  it("parses unix:// URLs, socket paths and tcp://host:port, and refuses the rest", () => {
    expect(parseEngineEndpoint("unix:///run/x.sock")).toEqual({ kind: "unix", url: "unix:///run/x.sock", socketPath: "/run/x.sock" });
    expect(parseEngineEndpoint("/run/x.sock").url).toBe("unix:///run/x.sock");
    expect(parseEngineEndpoint("tcp://127.0.0.1:2375")).toMatchObject({ kind: "tcp", host: "127.0.0.1", port: 2375 });
    expect(() => parseEngineEndpoint("unix://relative.sock")).toThrow(/absolute/);
    expect(() => parseEngineEndpoint("ssh://me@host")).toThrow(/ssh:\/\/me@host/);
  });

  it("tries the explicit address alone, else DOCKER_HOST alone, else Docker's then Podman's default sockets", () => {
    expect(urls(resolveEngineEndpoints("unix:///a.sock", { DOCKER_HOST: "unix:///b.sock" }))).toEqual(["unix:///a.sock"]);
    expect(urls(resolveEngineEndpoints(undefined, { DOCKER_HOST: "unix:///b.sock" }))).toEqual(["unix:///b.sock"]);
    expect(urls(resolveEngineEndpoints(undefined, { XDG_RUNTIME_DIR: "/run/user/1000" }))).toEqual([
      "unix:///var/run/docker.sock",
      "unix:///run/user/1000/podman/podman.sock",
      "unix:///run/podman/podman.sock",
    ]);
    expect(urls(resolveEngineEndpoints(undefined, {}))).toEqual(["unix:///var/run/docker.sock", "unix:///run/podman/podman.sock"]);
    expect(() => resolveEngineEndpoints("nonsense", {})).toThrow();
    // A DOCKER_HOST this client cannot use does not stop the start: the endpoint fails, saying why.
    expect(resolveEngineEndpoints(undefined, { DOCKER_HOST: "ssh://me@host" })).toEqual([
      { kind: "unsupported", url: "ssh://me@host", why: expect.stringContaining("DOCKER_HOST") },
    ]);
  });
});

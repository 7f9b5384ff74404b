import { ContainerState } from "@baaaht/proto/orchestrator/v1";
import { Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { parseExecArgs, parseLeadingOptions, parseRunArgs, parseSize, UsageError } from "./container-args.js";
import { defineContainersCommand, parseContainerState, sinceTime } from "./containers.js";
import type { CliContext } from "../cli-context.js";
import type { ClientAction } from "./tasks.js";

describe("containers exec arguments", () => {
  it("takes options before the ID and the command after it as it is", () => {
    expect(parseExecArgs(["-e", "A=1", "--env=B=x=y", "-w", "/tmp", "--timeout", "1.5", "-i", "c1", "sh", "-ec", "echo hi", "--env"])).toEqual({
      containerId: "c1",
      command: ["sh", "-ec", "echo hi", "--env"],
      env: { A: "1", B: "x=y" },
      workingDir: "/tmp",
      timeoutMs: 1500,
      stdin: true,
    });
  });

  it("accepts -- before or after the ID", () => {
    expect(parseExecArgs(["--", "c1", "ls"])).toMatchObject({ containerId: "c1", command: ["ls"] });
    expect(parseExecArgs(["-e", "A=1", "c1", "--", "ls", "--json"])).toMatchObject({ containerId: "c1", command: ["ls", "--json"] });
    expect(parseExecArgs(["c1", "echo", "--", "x"]).command).toEqual(["echo", "--", "x"]);
  });

  it("says what is wrong", () => {
    expect(() => parseExecArgs(["c1"])).toThrow(new UsageError("missing the command to run"));
    expect(() => parseExecArgs([])).toThrow(/missing the container ID/);
    expect(() => parseExecArgs(["-x", "c1", "ls"])).toThrow(/unknown option -x/);
    expect(() => parseExecArgs(["-e", "NOEQ", "c1", "ls"])).toThrow(/--env: expected KEY=VALUE/);
    expect(() => parseExecArgs(["--timeout", "0", "c1", "ls"])).toThrow(/--timeout: expected a number of seconds > 0/);
    expect(() => parseExecArgs(["-w"])).toThrow(/--workdir needs a value/);
    expect(() => parseExecArgs(["--stdin=yes", "c1", "ls"])).toThrow(/takes no value/);
  });
});

describe("containers run arguments", () => {
  it("reads the session, limits, env and labels, then the image and its command", () => {
    expect(parseRunArgs(["--session", "s1", "-m", "64m", "--cpus", "0.5", "--pids", "20", "-l", "k=v", "--rm", "--network", "none", "img:1", "sleep", "-n", "9"])).toEqual({
      sessionId: "s1",
      image: "img:1",
      command: ["sleep", "-n", "9"],
      env: {},
      labels: { k: "v" },
      workingDir: undefined,
      networkMode: "none",
      cpus: 0.5,
      memoryBytes: 64 * 1024 * 1024,
      pids: 20,
      removeOnStop: true,
    });
    expect(parseRunArgs(["--session=s", "img"]).command).toEqual([]);
  });

  it("needs a session and an image", () => {
    expect(() => parseRunArgs(["img"])).toThrow(/missing --session ID/);
    expect(() => parseRunArgs(["--session", "s"])).toThrow(/missing the IMAGE/);
    expect(() => parseRunArgs(["--session", "s", "--pids", "1.5", "img"])).toThrow(/--pids: expected a whole number > 0/);
  });

  it("reads sizes in powers of 1024", () => {
    expect(parseSize("1048576")).toBe(1048576);
    expect(parseSize("512k")).toBe(512 * 1024);
    expect(parseSize("1.5G")).toBe(1.5 * 1024 ** 3);
    expect(parseSize("2mb")).toBe(2 * 1024 ** 2);
    expect(() => parseSize("lots")).toThrow(UsageError);
    expect(() => parseSize("0")).toThrow(UsageError);
  });

  it("stops reading options at the first argument that is not one", () => {
    expect(parseLeadingOptions(["a", "-b"], [{ long: "b", short: "b" }])).toEqual({ options: {}, rest: ["a", "-b"] });
    expect(parseLeadingOptions(["-", "x"], [])).toEqual({ options: {}, rest: ["-", "x"] });
  });
});

describe("containers list and logs options", () => {
  it("reads states and --since", () => {
    expect(parseContainerState("running")).toBe(ContainerState.RUNNING);
    expect(parseContainerState("CONTAINER_STATE_EXITED")).toBe(ContainerState.EXITED);
    expect(() => parseContainerState("asleep")).toThrow(/expected one of created, running/);
    expect(sinceTime("10m", 1_000_000)).toEqual(new Date(1_000_000 - 600_000));
    expect(sinceTime("2024-05-01T10:00:00Z")).toEqual(new Date("2024-05-01T10:00:00Z"));
    expect(() => sinceTime("yesterday")).toThrow(/ISO 8601/);
  });

  it("exec and run hand the raw arguments over, commander reads the others; a bad command line is a usage error (2)", async () => {
    const seen: unknown[][] = [];
    const root = new Command("baaaht")
      .option("--json")
      .exitOverride()
      .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    // Records the arguments; runs the command only for exec and run with no context, to reach their argument checks.
    const action: ClientAction = (run) => async (...args) => {
      seen.push(args.slice(0, -1));
      const name = (args[args.length - 1] as Command).name();
      if (name === "exec" || name === "run") await run(undefined as unknown as CliContext, ...args);
    };
    defineContainersCommand(root.command("containers"), action);
    await root.parseAsync(["containers", "logs", "-f", "--tail", "5", "c1"], { from: "user" });
    expect(seen[0]).toEqual(["c1", { follow: true, tail: 5 }]);
    const badTail = await root.parseAsync(["containers", "logs", "--tail", "x", "c1"], { from: "user" }).catch((e: unknown) => e);
    expect(badTail).toBeInstanceOf(CommanderError);
    const noCommand = await root.parseAsync(["containers", "exec", "-e", "A=1", "c1"], { from: "user" }).catch((e: unknown) => e);
    expect(seen[1]?.[0]).toEqual(["-e", "A=1", "c1"]);
    expect(noCommand).toMatchObject({ exitCode: 2, message: "error: missing the command to run" });
    const noSession = await root.parseAsync(["containers", "run", "img", "sh", "-c", "x"], { from: "user" }).catch((e: unknown) => e);
    expect(seen[2]?.[0]).toEqual(["img", "sh", "-c", "x"]);
    expect(noSession).toMatchObject({ exitCode: 2 });
  });
});

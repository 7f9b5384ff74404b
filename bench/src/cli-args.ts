import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./grpc-js-defs.js";

/** The bench's command line. */
export interface BenchArgs {
  /** Where the JSON results go. Defaults to `<temp dir>/bench.json` (kept, and printed). */
  jsonOut: string | undefined;
  /** The orchestrator CLI to exec. Defaults to `$BAAAHT_BENCH_CLI`, else `apps/orchestrator/dist/cli.js`. */
  cli: string;
  /** Seconds per measured loop. Defaults to 1. */
  durationMs: number;
  /** Repetitions of the headline figures (median taken). Defaults to 3. */
  reps: number;
  /** The sections to run. Defaults to all of {@link SECTIONS}. */
  only: Section[];
}

/** The parts of the bench, in the order they run. */
export const SECTIONS = ["startup", "memory", "unary", "relay", "slow", "queues"] as const;
export type Section = (typeof SECTIONS)[number];

const USAGE = `usage: node bench/dist/main.js [--json-out PATH] [--cli PATH] [--duration SECONDS] [--reps N] [--only LIST]

  --json-out PATH     write the results as JSON there (default: bench.json in a fresh temp dir, printed)
  --cli PATH          the orchestrator CLI to exec (default: $BAAAHT_BENCH_CLI, else apps/orchestrator/dist/cli.js)
  --duration SECONDS  length of each measured loop (default 1; relay levels take twice that)
  --reps N            repetitions of the headline figures, median taken (default 3)
  --only LIST         comma-separated sections to run: startup,memory,unary,relay,slow,queues (default all)
`;

function usage(error?: string): never {
  if (error) {
    process.stderr.write(`bench: ${error}\n${USAGE}`);
    process.exit(2);
  }
  process.stdout.write(USAGE);
  process.exit(0);
}

/** Parses `argv` (without node and the script); exits 2 with the usage on a bad argument. */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const out: BenchArgs = {
    jsonOut: undefined,
    cli: process.env.BAAAHT_BENCH_CLI || join(ROOT, "apps/orchestrator/dist/cli.js"),
    durationMs: 1000,
    reps: 3,
    only: [...SECTIONS],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--json-out":
        out.jsonOut = value();
        break;
      case "--cli":
        out.cli = value();
        break;
      case "--duration": {
        const seconds = Number(value());
        if (!(seconds > 0)) usage(`bad --duration: ${arg}`);
        out.durationMs = seconds * 1000;
        break;
      }
      case "--reps": {
        const reps = Number(value());
        if (!Number.isInteger(reps) || reps < 1) usage(`bad --reps: ${arg}`);
        out.reps = reps;
        break;
      }
      case "--only": {
        const names = value().split(",").map((x) => x.trim());
        const bad = names.filter((x) => !(SECTIONS as readonly string[]).includes(x));
        if (bad.length > 0) usage(`unknown section(s): ${bad.join(", ")}`);
        out.only = names as Section[];
        break;
      }
      case "--help":
      case "-h":
        usage();
        break;
      default:
        usage(`unknown argument: ${arg}`);
    }
  }
  if (!existsSync(out.cli)) usage(`no orchestrator CLI at ${out.cli}: run \`pnpm build\` first (or pass --cli)`);
  return out;
}

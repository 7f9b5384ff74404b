import { ExitCode } from "./exit-codes.js";

/**
 * Makes the process exit quietly (code 0) once whoever reads its stdout or
 * stderr has gone, e.g. `baaaht events --since 0 | head -1`: a write to a
 * closed pipe fails with EPIPE, which is the reader's choice, not an error to
 * report. Other stream errors are rethrown.
 */
export function exitQuietlyOnClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(ExitCode.ok);
      throw err;
    });
  }
}

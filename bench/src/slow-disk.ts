import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** The LD_PRELOAD shim: fsync and fdatasync sleep FLUSH_DELAY_US (default 2000) before the real call. */
const SHIM_C = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

static useconds_t flush_delay(void) {
  const char *s = getenv("FLUSH_DELAY_US");
  return s ? (useconds_t)strtoul(s, 0, 10) : 2000;
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  usleep(flush_delay());
  return real(fd);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  usleep(flush_delay());
  return real(fd);
}
`;

/**
 * Compiles the slow-flush shim into `dir` with `cc`; returns the .so path,
 * or the reason it could not (cc missing or failing).
 */
export function buildSlowFlushShim(dir: string): { path: string } | { skipped: string } {
  const source = join(dir, "slow-flush.c");
  const path = join(dir, "slow-flush.so");
  writeFileSync(source, SHIM_C);
  const res = spawnSync("cc", ["-shared", "-fPIC", "-O2", "-o", path, source, "-ldl"], { encoding: "utf8" });
  if (res.error) return { skipped: `cc not available (${(res.error as NodeJS.ErrnoException).code ?? res.error.message})` };
  if (res.status !== 0) return { skipped: `cc failed: ${res.stderr.trim().split("\n")[0] ?? res.status}` };
  return { path };
}

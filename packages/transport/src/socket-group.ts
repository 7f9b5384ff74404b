import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";

/**
 * Resolves a group name or gid (a number or a string of digits) to a numeric
 * gid. Names are looked up with
 * `getent group` (so NSS sources such as LDAP count) and, when `getent` is not
 * installed, in `/etc/group`.
 *
 * @throws Error naming the group when it is unknown or the gid is invalid.
 */
export async function resolveGroupId(group: string | number): Promise<number> {
  if (typeof group === "number") {
    if (!Number.isInteger(group) || group < 0) {
      throw new Error(`invalid socket group id: ${group}`);
    }
    return group;
  }
  if (/^\d+$/.test(group)) {
    return resolveGroupId(Number(group));
  }
  const line = (await getentGroup(group)) ?? (await etcGroupLine(group));
  const gid = line === undefined ? NaN : Number(line.split(":")[2]);
  if (!Number.isInteger(gid) || gid < 0) {
    throw new Error(`unknown socket group: ${JSON.stringify(group)}`);
  }
  return gid;
}

/** `getent group <name>`'s line; undefined when unknown or getent is missing. */
function getentGroup(name: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile("getent", ["group", name], (err, stdout) => {
      if (err) {
        resolve(undefined);
        return;
      }
      resolve(stdout.split("\n").find((l) => l.startsWith(`${name}:`)));
    });
  });
}

async function etcGroupLine(name: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile("/etc/group", "utf8");
  } catch {
    return undefined;
  }
  return text.split("\n").find((l) => l.startsWith(`${name}:`));
}

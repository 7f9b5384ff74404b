import type { Command } from "commander";

/**
 * Makes a usage error (unknown option, bad value, missing argument) print
 * one error line and where to read more, `see \`baaaht tasks run --help\``,
 * instead of the whole help: for `program` and every command under it.
 */
export function hintHelpOnUsageErrors(program: Command): void {
  const visit = (command: Command, path: string) => {
    command.showHelpAfterError(`see \`${path} --help\``);
    for (const sub of command.commands) visit(sub, `${path} ${sub.name()}`);
  };
  visit(program, program.name());
}

/**
 * A database URL without its password (in the user part or a `password`
 * query parameter), to show in logs and errors.
 */
export function redactDatabaseUrl(url: string): string {
  let redacted = url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/?#]*):[^@/?#]*@/i, "$1@");
  redacted = redacted.replace(/([?&])password=[^&#]*(&?)/gi, (_all, lead: string, tail: string) => (tail ? lead : ""));
  return redacted;
}

import type { User } from "@a2a-js/sdk/server";
import type { Caller } from "./caller-tokens.js";

/** The A2A SDK's user for an authenticated caller. */
export class CallerUser implements User {
  readonly caller: Caller;
  constructor(caller: Caller) {
    this.caller = caller;
  }
  get isAuthenticated(): boolean {
    return true;
  }
  get userName(): string {
    return this.caller.name;
  }
}

/** A write broke a uniqueness rule (an id already taken). Backends raise it; the domain maps it to ALREADY_EXISTS. */
export class DuplicateKeyError extends Error {
  override readonly name = "DuplicateKeyError";
}

/** Another orchestrator already uses this database (or state directory). */
export class StoreLockedError extends Error {
  override readonly name = "StoreLockedError";
}

/** The store was closed; no more work is taken. */
export class StoreClosedError extends Error {
  override readonly name = "StoreClosedError";
  constructor() {
    super("the store is closed");
  }
}

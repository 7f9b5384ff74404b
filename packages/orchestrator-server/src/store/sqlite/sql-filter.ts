/** A WHERE clause under construction: conditions joined by AND, with their parameters. */
export class SqlFilter {
  readonly #conditions: string[] = [];
  readonly #params: unknown[] = [];

  /** Adds `condition` (with `?` placeholders for `params`). */
  add(condition: string, ...params: unknown[]): this {
    this.#conditions.push(condition);
    this.#params.push(...params);
    return this;
  }

  /** Adds the condition only when `value` is defined. */
  addIf<T>(value: T | undefined, condition: string): this {
    return value === undefined ? this : this.add(condition, value);
  }

  /** Adds one condition per label: the row's JSON `column` must hold every key with its value. */
  addLabels(column: string, labels: Readonly<Record<string, string>> | undefined): this {
    for (const [key, value] of Object.entries(labels ?? {})) {
      this.add(`EXISTS (SELECT 1 FROM json_each(${column}) WHERE json_each.key = ? AND json_each.value = ?)`, key, value);
    }
    return this;
  }

  /** `WHERE ...`, or "" when there is no condition. */
  get where(): string {
    return this.#conditions.length === 0 ? "" : `WHERE ${this.#conditions.join(" AND ")}`;
  }

  /** The parameters, in placeholder order. */
  get params(): unknown[] {
    return [...this.#params];
  }
}

/** Taken slots a queue keeps before it may compact: below this, compacting would cost more than it frees. */
const MIN_COMPACT = 1024;

/**
 * A first-in first-out queue whose `push` and `shift` cost O(1) amortized,
 * however long it grows (`Array.prototype.shift` moves every remaining item,
 * which turns a long queue drained item by item quadratic). Items are kept
 * in an array read from a moving head; the taken front is dropped once it is
 * at least half of the array, so each item is copied at most once more.
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** How many items wait. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds an item at the back. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Takes the front item; undefined when empty. */
  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined; // let it be collected
    this.#advance(this.#head + 1);
    return item;
  }

  /** The front item without taking it; undefined when empty. */
  peek(): T | undefined {
    return this.#head === this.#items.length ? undefined : this.#items[this.#head];
  }

  /** Takes up to `max` items from the front, in order. */
  take(max: number): T[] {
    const end = Math.min(this.#items.length, this.#head + Math.max(0, Math.floor(max)));
    const taken = this.#items.slice(this.#head, end) as T[];
    this.#items.fill(undefined, this.#head, end);
    this.#advance(end);
    return taken;
  }

  /** Drops every item. */
  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
  }

  /** Moves the head to `head`, dropping the taken front once it is half of the array. */
  #advance(head: number): void {
    if (head === this.#items.length) return this.clear();
    this.#head = head;
    if (head >= MIN_COMPACT && head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(head);
      this.#head = 0;
    }
  }
}

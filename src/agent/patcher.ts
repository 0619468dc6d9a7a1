/** Replaces functions on objects and puts every original back on `restoreAll`. */
export class Patcher {
  private readonly patches: Array<{ target: object; key: string; original: unknown }> = [];
  /** One wrapper per original, so aliases stay aliases (`globalThis.setTimeout === require('timers').setTimeout`). */
  private readonly wrappers = new Map<unknown, unknown>();

  /** Wraps `target[key]` if it is a function; the wrapper gets the original. */
  wrap<F extends (...args: never[]) => unknown>(target: object, key: string, makeWrapper: (original: F) => F): void {
    const original = (target as Record<string, unknown>)[key];
    if (typeof original !== 'function') return;
    let wrapper = this.wrappers.get(original);
    if (!wrapper) {
      const made = makeWrapper(original as F);
      // Keep name, length and the original's own properties (e.g. `setTimeout[util.promisify.custom]`),
      // so code that inspects or promisifies them sees no difference.
      for (const property of Reflect.ownKeys(original)) {
        if (property === 'prototype' || property === 'arguments' || property === 'caller') continue;
        Object.defineProperty(made, property, Object.getOwnPropertyDescriptor(original, property)!);
      }
      this.wrappers.set(original, (wrapper = made));
    }
    (target as Record<string, unknown>)[key] = wrapper;
    this.patches.push({ target, key, original });
  }

  restoreAll(): void {
    for (const { target, key, original } of this.patches.reverse()) (target as Record<string, unknown>)[key] = original;
    this.patches.length = 0;
    this.wrappers.clear();
  }

  /** The originals currently replaced, for tests and the detach check. */
  get count(): number {
    return this.patches.length;
  }
}

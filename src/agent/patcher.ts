/** Replaces functions on objects and puts every original back on `restoreAll`. */
export class Patcher {
  private readonly patches: Array<{ target: object; key: string; original: unknown }> = [];

  /** Wraps `target[key]` if it is a function; the wrapper gets the original. */
  wrap<F extends (...args: never[]) => unknown>(target: object, key: string, makeWrapper: (original: F) => F): void {
    const original = (target as Record<string, unknown>)[key];
    if (typeof original !== 'function') return;
    const wrapper = makeWrapper(original as F);
    // Keep name and length so code that inspects them sees no difference.
    Object.defineProperty(wrapper, 'name', { value: original.name });
    Object.defineProperty(wrapper, 'length', { value: original.length });
    (target as Record<string, unknown>)[key] = wrapper;
    this.patches.push({ target, key, original });
  }

  restoreAll(): void {
    for (const { target, key, original } of this.patches.reverse()) (target as Record<string, unknown>)[key] = original;
    this.patches.length = 0;
  }

  /** The originals currently replaced, for tests and the detach check. */
  get count(): number {
    return this.patches.length;
  }
}

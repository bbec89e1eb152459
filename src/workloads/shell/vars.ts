// Shell variables: the environment the shell started with, shared and
// never copied, under the shell's own assignments. A shell that sets a few
// variables costs a few map entries, whatever the size of its environment.

export const EXPORT = 1;
export const READONLY = 2;

export interface Var {
  value: string | undefined; // undefined: declared (export X, local X) but unset
  flags: number;
}

// What a `local` or a prefix assignment replaced, to put back later.
export type Saved = Map<string, Var | undefined>;

export class Vars {
  private own: Map<string, Var>;
  private envCache: Record<string, string> | undefined;

  constructor(
    private readonly base: Readonly<Record<string, string>>,
    own?: Map<string, Var>,
  ) {
    this.own = own ?? new Map();
  }

  // A copy for a subshell: the base stays shared.
  clone(): Vars {
    const own = new Map<string, Var>();
    for (const [k, v] of this.own) own.set(k, { value: v.value, flags: v.flags });
    const c = new Vars(this.base, own);
    c.envCache = this.envCache;
    return c;
  }

  private lookup(name: string): Var | undefined {
    const v = this.own.get(name);
    if (v !== undefined) return v;
    if (Object.prototype.hasOwnProperty.call(this.base, name)) return { value: this.base[name], flags: EXPORT };
    return undefined;
  }

  get(name: string): string | undefined {
    const v = this.own.get(name);
    if (v !== undefined) return v.value;
    return Object.prototype.hasOwnProperty.call(this.base, name) ? this.base[name] : undefined;
  }

  flags(name: string): number {
    return this.lookup(name)?.flags ?? 0;
  }

  isReadonly(name: string): boolean {
    return (this.flags(name) & READONLY) !== 0;
  }

  // Sets a value (the caller checked readonly). `addFlags` are or-ed in.
  set(name: string, value: string | undefined, addFlags = 0): void {
    const old = this.lookup(name);
    const flags = (old?.flags ?? 0) | addFlags;
    const cur = this.own.get(name);
    if (cur) {
      cur.value = value;
      cur.flags = flags;
    } else this.own.set(name, { value, flags });
    if (flags & EXPORT || (old && old.flags & EXPORT)) this.envCache = undefined;
  }

  setFlags(name: string, flags: number): void {
    const old = this.lookup(name);
    this.set(name, old?.value, flags);
  }

  // Takes `flags` off a variable there is (export -n).
  clearFlags(name: string, flags: number): void {
    const old = this.lookup(name);
    if (!old || !(old.flags & flags)) return;
    const cur = this.own.get(name);
    if (cur) cur.flags &= ~flags;
    else this.own.set(name, { value: old.value, flags: old.flags & ~flags });
    if (flags & EXPORT) this.envCache = undefined;
  }

  unset(name: string): void {
    const old = this.lookup(name);
    if (!old) return;
    if (old.flags & EXPORT) this.envCache = undefined;
    if (Object.prototype.hasOwnProperty.call(this.base, name)) this.own.set(name, { value: undefined, flags: 0 });
    else this.own.delete(name);
  }

  // Saves the current state of `name` into `saved` (once), for restore().
  save(saved: Saved, name: string): void {
    if (saved.has(name)) return;
    const v = this.own.get(name);
    saved.set(name, v ? { value: v.value, flags: v.flags } : undefined);
  }

  restore(saved: Saved): void {
    for (const [name, v] of saved) {
      const old = this.lookup(name);
      if (old && old.flags & EXPORT) this.envCache = undefined;
      if (v === undefined) this.own.delete(name);
      else {
        this.own.set(name, v);
        if (v.flags & EXPORT) this.envCache = undefined;
      }
    }
  }

  // The environment of a command the shell runs: exported variables.
  env(): Record<string, string> {
    if (this.envCache) return this.envCache;
    let changed = false;
    for (const v of this.own.values()) {
      if (v.flags & EXPORT || v.value === undefined) {
        changed = true;
        break;
      }
    }
    // Nothing exported or unset since the start: the environment as given.
    if (!changed && !this.shadowsBase()) return (this.envCache = this.base as Record<string, string>);
    const env: Record<string, string> = {};
    for (const k of Object.keys(this.base)) {
      const v = this.own.get(k);
      if (v === undefined) env[k] = this.base[k];
    }
    for (const [k, v] of this.own) if (v.flags & EXPORT && v.value !== undefined) env[k] = v.value;
    return (this.envCache = env);
  }

  private shadowsBase(): boolean {
    for (const k of this.own.keys()) if (Object.prototype.hasOwnProperty.call(this.base, k)) return true;
    return false;
  }

  // Every set variable, sorted by name: `set`, `export -p`.
  entries(): [string, Var][] {
    const all = new Map<string, Var>();
    for (const k of Object.keys(this.base)) all.set(k, { value: this.base[k], flags: EXPORT });
    for (const [k, v] of this.own) all.set(k, v);
    return [...all.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

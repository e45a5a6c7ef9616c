/**
 * The two shapes a grant's `users` input takes, and the one reading of both.
 *
 * The program gives a list (`users: ["sip:a@…", …]`). check() stores it keyed by user: an object whose keys are the
 * spellings (trimmed; distinct under `foldIdentity`, the tenant's own matching rule) and whose values are empty
 * strings. Pulumi's `preview --diff` shows a dynamic resource's change as the difference between its stored and its
 * new inputs (the dynamic-provider host returns no detailed diff). It compares a list by position, so removing one
 * user of 3,000 rewrites every later position; it compares an object by key, printing `- key: ""` for a removed key
 * and `+ key: ""` for an added one, and it skips unchanged keys whose value is an empty string. So the keyed shape
 * shows exactly the users added and removed, one line each.
 *
 * State written before the keyed shape (released 0.1.0) holds the list, and the engine hands stored inputs back as
 * they are (`olds` of check(), and `news` whenever `ignoreChanges: ["users"]` keeps them), so every reader accepts
 * both. A list with a value known only after apply (preview) stays a list: an unknown has no key.
 *
 * Kept free of Pulumi and provider imports: the CLI's readers of engine events use it too.
 */
import { foldIdentity } from "../../api/identity";

/** The stored, keyed shape of a grant's `users`: each spelling as a key, with an empty value (see above). */
export type KeyedUsers = Record<string, "">;

/** The key under which two spellings are one user to the tenant: trimmed and folded. */
export function userKey(spelling: string): string {
    return foldIdentity(spelling.trim());
}

/**
 * The engine's marker of a secret value in serialized state and events: an object holding this key is a secret, so a
 * user spelled exactly so cannot be a key (check() refuses it).
 */
export const SECRET_SIG = "4dabf18193072939515e22adc298d4e7";

/** Whether `v` is the keyed shape (a plain object that is not the engine's secret marker). */
export function isKeyedUsers(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v) && !(SECRET_SIG in v);
}

function compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** The keyed shape of distinct, trimmed spellings (keys in sorted order). */
export function keyedUsers(spellings: readonly string[]): KeyedUsers {
    const out: KeyedUsers = {};
    for (const s of [...spellings].sort(compare)) out[s] = "";
    return out;
}

/**
 * The users of either shape as `[property path, user]`: a list by position (`users[3]`), the keyed shape by key in
 * sorted order (`users["sip:a@contoso.example"]`; sorted, as the order in which the engine hands an object over is not
 * the program's). Undefined for anything else (a secret marker, an unknown, a scalar).
 */
export function userEntries(v: unknown, property = "users"): Array<[string, unknown]> | undefined {
    if (Array.isArray(v)) return v.map((u, i) => [`${property}[${i}]`, u]);
    if (!isKeyedUsers(v)) return undefined;
    return Object.keys(v).sort(compare).map((k) => [`${property}[${JSON.stringify(k)}]`, k]);
}

/** The users of either shape (see {@link userEntries}); undefined when `v` is neither. */
export function listedUsers(v: unknown): unknown[] | undefined {
    return userEntries(v)?.map(([, u]) => u);
}

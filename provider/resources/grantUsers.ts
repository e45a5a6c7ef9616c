/**
 * The two shapes a grant's `users` input takes, and the one reading of both.
 *
 * The program gives a list (`users: ["sip:a@…", …]`). check() stores it keyed by user: an object whose keys are the
 * users' canonical identities (the spelling trimmed and folded by `foldIdentity`, the tenant's own matching rule)
 * and whose values are the spellings as written. Pulumi's `preview --diff` shows a dynamic resource's change as the
 * difference between its stored and its new inputs (the dynamic-provider host returns no detailed diff), and it
 * compares a list by position but an object by key: removing one user of 3,000 from a list rewrites every later
 * position, from the keyed shape it is one `- KEY: "spelling"` line.
 *
 * State written before the keyed shape (released 0.1.0) holds the list, and the engine hands stored inputs back as
 * they are (`olds` of check(), and `news` whenever `ignoreChanges: ["users"]` keeps them), so every reader accepts
 * both. A list with a value known only after apply (preview) stays a list: an unknown has no key.
 *
 * Kept free of Pulumi and provider imports: the CLI's readers of engine events use it too.
 */
import { foldIdentity } from "../../api/identity";

/** The stored, keyed shape of a grant's `users`: canonical identity → spelling as written. */
export type KeyedUsers = Record<string, string>;

/** The key of one spelling: trimmed and folded (two spellings with one key are one user to the tenant). */
export function userKey(spelling: string): string {
    return foldIdentity(spelling.trim());
}

/** The engine's marker of a secret value in serialized state and events (never a folded identity: those are upper case). */
const SECRET_SIG = "4dabf18193072939515e22adc298d4e7";

/** Whether `v` is the keyed shape (a plain object that is not the engine's secret marker). */
export function isKeyedUsers(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && !Array.isArray(v) && !(SECRET_SIG in v);
}

/** The keyed shape of distinct spellings, keys in sorted order. */
export function keyedUsers(spellings: readonly string[]): KeyedUsers {
    const out: KeyedUsers = {};
    for (const s of [...spellings].sort((a, b) => compareKeys(userKey(a), userKey(b)))) out[userKey(s)] = s;
    return out;
}

function compareKeys(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The entries of either shape as `[property path, value]`: a list by position (`users[3]`), the keyed shape by key in
 * sorted order (`users["SIP:A@CONTOSO.EXAMPLE"]`, the order being one that does not depend on how the engine ordered
 * the object). Undefined for anything else (a secret marker, an unknown, a scalar).
 */
export function userEntries(v: unknown, property = "users"): Array<[string, unknown]> | undefined {
    if (Array.isArray(v)) return v.map((u, i) => [`${property}[${i}]`, u]);
    if (!isKeyedUsers(v)) return undefined;
    return Object.keys(v).sort(compareKeys).map((k) => [`${property}[${JSON.stringify(k)}]`, v[k]]);
}

/** The values of either shape (see {@link userEntries}); undefined when `v` is neither. */
export function userValues(v: unknown): unknown[] | undefined {
    return userEntries(v)?.map(([, u]) => u);
}

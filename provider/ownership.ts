/**
 * Ownership of tenant objects (a policy; a user's direct assignment), after Kubernetes server-side apply's field
 * managers: every object written through the tenant API records one owner, `project/stack/resource`. A resource only
 * creates, takes over, changes, resets or deletes an object whose owner is itself or nobody; another owner's object
 * needs `adopt: true` to take over and is never deleted. Objects without an owner (made by hand, or by a provider
 * version before owners existed) count as this resource's.
 *
 * Also here: the per-process registry that catches one tenant object declared twice in one program (the engine runs
 * check() for every resource of a deployment in one provider process, during preview, before any write).
 */

/** An owner id: `project/stack/resource` (the resource's name in the program). */
export interface OwnerId {
    readonly project: string;
    readonly stack: string;
    readonly resource: string;
}

/** Parses `project/stack/resource`; project and stack names cannot contain `/`, resource names may. */
export function parseOwner(owner: string): OwnerId | undefined {
    const first = owner.indexOf("/");
    const second = first < 0 ? -1 : owner.indexOf("/", first + 1);
    if (first <= 0 || second <= first + 1 || second === owner.length - 1) return undefined;
    return { project: owner.slice(0, first), stack: owner.slice(first + 1, second), resource: owner.slice(second + 1) };
}

/** The owner id of a resource named `resource` in `project`/`stack`. */
export function ownerId(project: string, stack: string, resource: string): string {
    return `${project}/${stack}/${resource}`;
}

/**
 * Whether `current` (the tenant's owner) lets `me` write: nobody, or me. `me` undefined (the provider object driven
 * directly, without a resource class) never conflicts.
 */
export function ownedByMeOrNobody(current: string | null | undefined, me: string | undefined): boolean {
    return current === null || current === undefined || current === "" || me === undefined || current === me;
}

/** Whether two owner ids name resources of the same project and stack (so a conflict between them may be a rename). */
export function sameStack(owner: string, me: string | undefined): boolean {
    const o = parseOwner(owner);
    const m = me === undefined ? undefined : parseOwner(me);
    return !!o && !!m && o.project === m.project && o.stack === m.stack;
}

/** How to describe an owner to the user of `me`: "resource "x" of this stack", or "resource "x" of stack p/s". */
export function describeOwner(owner: string, me?: string): string {
    const o = parseOwner(owner);
    if (!o) return `"${owner}"`;
    if (sameStack(owner, me)) return `resource "${o.resource}" of this stack (${owner})`;
    return `resource "${o.resource}" of stack ${o.project}/${o.stack}`;
}

/**
 * The way out of a conflict with another owner, for messages. A rename inside one stack (same project and stack)
 * suggests `aliases`, which keeps the object under the renamed resource without any write.
 */
export function conflictAdvice(owner: string, me: string | undefined, kind: string): string {
    const old = parseOwner(owner)?.resource;
    const rename = sameStack(owner, me)
        ? `If you renamed resource "${old}" to "${parseOwner(me!)!.resource}", add \`aliases: [{ name: "${old}" }]\` to its options ` +
          `so Pulumi keeps managing the same ${kind}. `
        : "";
    return `${rename}Otherwise remove this resource from the program, or set \`adopt: true\` on it to take the ${kind} over ` +
        `(the current owner will then leave it alone)`;
}

/** One tenant object claimed by resources of this deployment. */
const claims = new Map<string, string>();

/**
 * Records that `owner` declares the tenant object `key` (a canonical identity, or a user id); returns the other owner
 * when a different resource of the same deployment already declared it. Per provider process, i.e. per deployment.
 */
export function claim(key: string, owner: string | undefined): string | undefined {
    if (owner === undefined) return undefined;
    const other = claims.get(key);
    if (other !== undefined && other !== owner) return other;
    claims.set(key, owner);
    return undefined;
}

/**
 * A message for the engine's diagnostics. The dynamic-provider host has no engine log connection; the engine shows
 * a provider's stderr lines with the deployment's diagnostics, which is where Pulumi users look for warnings.
 */
export function warn(message: string): void {
    process.stderr.write(`warning: ${message}\n`);
}

/** Per-run program registries, keyed by the SDK's per-run store (an inline program may run many times in one process). */
const programRuns = new WeakMap<object, Map<string, string[]>>();
const fallbackRun = new Map<string, string[]>();

function currentRun(): Map<string, string[]> {
    let store: object | undefined;
    try {
        // The SDK keeps each run's settings in an AsyncLocalStorage store; inline Automation API programs get a fresh
        // one per run. Internal, hence the fallback to one process-wide registry (a plain `pulumi up` is one run).
        store = require("@pulumi/pulumi/runtime/state").getStore?.();
    } catch {
        store = undefined;
    }
    if (!store || typeof store !== "object") return fallbackRun;
    let run = programRuns.get(store);
    if (!run) programRuns.set(store, (run = new Map()));
    return run;
}

/**
 * In the program (resource constructors): records that resource `name` declares the tenant object `key`, and returns
 * the name of another resource of this run that already declared it.
 */
export function declareInProgram(key: string, name: string): string | undefined {
    const run = currentRun();
    const names = run.get(key);
    if (!names) {
        run.set(key, [name]);
        return undefined;
    }
    if (!names.includes(name)) names.push(name);
    return names.find((n) => n !== name);
}

/**
 * In the program: resolves, once the program's synchronous declarations are done (one `setImmediate`), to the name of a
 * resource declared *after* `name` for the same tenant object, or `undefined`. The first of two declarations reports the
 * clash through its own check() too: the engine registers a resource as soon as its inputs resolve, so without this the
 * first would be created (by `pulumi up --skip-preview` or the Automation API's `up`) before the second is registered.
 * Declarations made later, inside an `apply`, are seen only by the later resource.
 */
export function declaredLater(keys: string[], name: string): Promise<{ key: string; other: string } | undefined> {
    const run = currentRun();
    return new Promise((resolve) => setImmediate(() => {
        for (const key of keys) {
            const names = run.get(key) ?? [];
            const other = names.slice(names.indexOf(name) + 1).find((n) => n !== name);
            if (other !== undefined) return resolve({ key, other });
        }
        resolve(undefined);
    }));
}

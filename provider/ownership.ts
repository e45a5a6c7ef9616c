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
import { isUnknown } from "./values";

/**
 * An owner id: `project/stack@instance/resource`. `instance` names the stack *instance* (a random id the stack's
 * {@link STACK_INSTANCE_RESOURCE} resource records in state at its first `pulumi up`), so a stack created later under a
 * reused name is a different owner; `project` and `stack` are the names at the last write, for people reading the
 * tenant. Ids written by 0.1.0 have no `@instance` (`project/stack/resource`) and are matched by name.
 */
export interface OwnerId {
    readonly project: string;
    readonly stack: string;
    /** The stack instance; undefined in ids written before stack instances existed. */
    readonly instance?: string;
    readonly resource: string;
}

/** Name of the resource that records a stack's instance id in its state (one per stack, created at the first `up`). */
export const STACK_INSTANCE_RESOURCE = "clientpolicy-stack-instance";

/**
 * Parses `project/stack[@instance]/resource`. Project and stack names cannot contain `/` or `@` (Pulumi allows
 * letters, digits, `-`, `_`, `.`), resource names may contain anything.
 */
export function parseOwner(owner: string): OwnerId | undefined {
    const first = owner.indexOf("/");
    const second = first < 0 ? -1 : owner.indexOf("/", first + 1);
    if (first <= 0 || second <= first + 1 || second === owner.length - 1) return undefined;
    const stackPart = owner.slice(first + 1, second);
    const at = stackPart.indexOf("@");
    if (at === 0 || at === stackPart.length - 1) return undefined;
    return {
        project: owner.slice(0, first),
        stack: at < 0 ? stackPart : stackPart.slice(0, at),
        ...(at < 0 ? {} : { instance: stackPart.slice(at + 1) }),
        resource: owner.slice(second + 1),
    };
}

/** The owner id of a resource named `resource` in `project`/`stack`, without the instance (the resource class's part). */
export function ownerId(project: string, stack: string, resource: string): string {
    return `${project}/${stack}/${resource}`;
}

/**
 * The owner id written to the tenant: `owner` (`project/stack/resource`) with the stack instance. Without an instance
 * (not known yet in a preview of a stack's first `up`, or the provider driven without the resource class) the id
 * stays name-only, which {@link isMine} matches only against name-only ids, so a preview never mistakes an earlier
 * stack of the same name for this one.
 */
export function withInstance(owner: string, instance: string | undefined): string {
    if (!instance) return owner;
    const o = parseOwner(owner);
    if (!o) return owner;
    return `${o.project}/${o.stack}@${instance}/${o.resource}`;
}

/** The id without its instance (`project/stack/resource`). */
export function ownerName(owner: string): string {
    const o = parseOwner(owner);
    return o ? ownerId(o.project, o.stack, o.resource) : owner;
}

/**
 * Whether `current` (the tenant's owner) lets `me` write: nobody, `me` exactly, or — for an id written by 0.1.0, which
 * has no instance — the same `project/stack/resource`. `me` undefined (the provider object driven directly, without a
 * resource class) never conflicts.
 */
export function isMine(current: string | null | undefined, me: string | undefined): boolean {
    if (current === null || current === undefined || current === "" || me === undefined || current === me) return true;
    const o = parseOwner(current);
    return !!o && o.instance === undefined && current === ownerName(me);
}

/**
 * Whether two owner ids name resources of one stack (so a conflict between them may be a rename): the same instance,
 * or, for ids without one, the same project and stack names.
 */
export function sameStack(owner: string, me: string | undefined): boolean {
    const o = parseOwner(owner);
    const m = me === undefined ? undefined : parseOwner(me);
    if (!o || !m) return false;
    if (o.instance !== undefined && m.instance !== undefined) return o.instance === m.instance;
    return o.instance === undefined && o.project === m.project && o.stack === m.stack;
}

/**
 * How to describe an owner to the user of `me`: "resource "x" of this stack", "resource "x" of stack p/s", or, for an
 * earlier stack instance under this stack's name, saying so.
 */
export function describeOwner(owner: string, me?: string): string {
    const o = parseOwner(owner);
    if (!o) return `"${owner}"`;
    if (sameStack(owner, me)) return `resource "${o.resource}" of this stack (${owner})`;
    const m = me === undefined ? undefined : parseOwner(me);
    if (m && o.project === m.project && o.stack === m.stack && o.instance !== undefined) {
        return `resource "${o.resource}" of an earlier stack named ${o.project}/${o.stack} (stack instance ${o.instance}; ` +
            `it may have been renamed since, or removed without destroying its resources)`;
    }
    return `resource "${o.resource}" of stack ${o.project}/${o.stack}${o.instance ? ` (stack instance ${o.instance})` : ""}`;
}

/**
 * Where a resource was declared, when its program name is not the way to address it: a child of a `TenantPolicies`
 * component, whose options are given per child in the component's `options`.
 */
export interface DeclaredIn {
    /** The component's name. */
    readonly component: string;
    /** Which map of the component's `options` holds this child's options. */
    readonly kind: "policies" | "grants";
    /** The child's key in that map (its canonical identity, e.g. `Global`, `Tag:OfflineIM`). */
    readonly key: string;
}

/** {@link DeclaredIn} from an input value, or undefined. */
export function parseDeclaredIn(v: unknown): DeclaredIn | undefined {
    if (!v || typeof v !== "object") return undefined;
    const d = v as Record<string, unknown>;
    if (typeof d.component !== "string" || (d.kind !== "policies" && d.kind !== "grants") || typeof d.key !== "string") return undefined;
    return { component: d.component, kind: d.kind, key: d.key };
}

/**
 * The way out of a conflict with another owner, for messages. A rename inside one stack suggests `aliases`, which
 * keeps the object under the renamed resource without any write; for a `TenantPolicies` child, in the form that
 * component takes (its per-child `options`), with the old resource's parent given explicitly.
 */
export function conflictAdvice(owner: string, me: string | undefined, kind: string, declaredIn?: DeclaredIn): string {
    const old = parseOwner(owner)?.resource;
    const mine = me === undefined ? undefined : parseOwner(me)?.resource;
    const adopt = declaredIn
        ? `\`${declaredIn.kind}: { ${JSON.stringify(declaredIn.key)}: { adopt: true } }\` in the \`options\` of TenantPolicies "${declaredIn.component}"`
        : `\`adopt: true\` on it`;
    let rename = "";
    if (sameStack(owner, me) && old !== mine) {
        const where = declaredIn
            ? `add \`${declaredIn.kind}: { ${JSON.stringify(declaredIn.key)}: { aliases: [{ name: "${old}", parent: pulumi.rootStackResource }] } }\` ` +
              `to the \`options\` of TenantPolicies "${declaredIn.component}" (\`parent: pulumi.rootStackResource\` when "${old}" was ` +
              `declared at the top level of the program; give its component instead when it was a child of one)`
            : `add \`aliases: [{ name: "${old}" }]\` to its options (and \`parent\` when "${old}" was a child of a component: ` +
              `\`aliases: [{ name: "${old}", parent: <that component> }]\`)`;
        rename = `If you renamed or moved resource "${old}" to "${mine}", ${where} so Pulumi keeps managing the same ${kind}. `;
    }
    return `${rename}Otherwise remove this resource from the program, or set ${adopt} to take the ${kind} over ` +
        `(the current owner will then leave it alone)`;
}

/**
 * The owner id to record (with the instance; name-only while it is unknown) from the `owner` and `stackInstance` inputs, which it
 * also copies into `inputs`. An unknown instance (preview of the stack's first `up`) leaves the id name-only.
 */
export function ownerOf(props: Record<string, unknown>, inputs: Record<string, unknown>): string | undefined {
    if (typeof props.owner !== "string" || props.owner === "") return undefined;
    inputs.owner = props.owner;
    const instance = props.stackInstance;
    if (isUnknown(instance)) { inputs.stackInstance = instance; return ownerName(props.owner); }
    if (typeof instance === "string" && instance !== "") { inputs.stackInstance = instance; return withInstance(props.owner, instance); }
    return props.owner;
}

/**
 * Why an object that carries this resource's own owner id is missing from the stack's state. The provider sees only
 * the tenant, not the state, so it names the state operations that drop a resource without touching the tenant, and
 * how to recognise the one case that is not a state operation: Pulumi itself reports a killed `pulumi up`'s create as
 * "pending operations from previous deployment" in the same run (the engine records the pending create before it asks
 * the provider to create). When it was moved to another stack, that stack's `up` must re-stamp it first.
 */
export function takenBackReason(owner: string, kind: string): string {
    return `carries this resource's owner id (${owner}) but this stack's state has no record of it: it was removed from the ` +
        `state (\`pulumi state delete\`, \`pulumi state move\`, \`pulumi refresh --clear-pending-creates\`), or, when Pulumi ` +
        `also reports "pending operations from previous deployment" for it in this run, a killed \`pulumi up\` had created it. ` +
        `If it was moved to another stack, remove it from this program and run \`pulumi up\` in that stack first (it ` +
        `re-stamps the ${kind}'s owner); otherwise nothing needs doing`;
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

/** Per-run program registries, keyed by the SDK's per-run store (an inline program may run many times in one process). */
interface ProgramRun {
    readonly declarations: Map<string, string[]>;
    readonly singletons: Map<string, unknown>;
}
const programRuns = new WeakMap<object, ProgramRun>();
const fallbackRun: ProgramRun = { declarations: new Map(), singletons: new Map() };

function currentRun(): ProgramRun {
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
    if (!run) programRuns.set(store, (run = { declarations: new Map(), singletons: new Map() }));
    return run;
}

/** In the program: the one value of `key` for this run, made by `make` the first time it is asked for. */
export function runSingleton<T>(key: string, make: () => T): T {
    const run = currentRun();
    if (!run.singletons.has(key)) run.singletons.set(key, make());
    return run.singletons.get(key) as T;
}

/**
 * In the program (resource constructors): records that resource `name` declares the tenant object `key`, and returns
 * the name of another resource of this run that already declared it.
 */
export function declareInProgram(key: string, name: string): string | undefined {
    const run = currentRun().declarations;
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
    const run = currentRun().declarations;
    return new Promise((resolve) => setImmediate(() => {
        for (const key of keys) {
            const names = run.get(key) ?? [];
            const other = names.slice(names.indexOf(name) + 1).find((n) => n !== name);
            if (other !== undefined) return resolve({ key, other });
        }
        resolve(undefined);
    }));
}

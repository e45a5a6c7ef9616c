/**
 * Builds dynamic provider objects. Each `*.provider.ts` module exports the result as its whole `module.exports`, which
 * is what lets Pulumi serialize the provider as a `require()` of that module.
 */
import * as nodeModule from "node:module";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as runtime from "../runtime";
import { plainJson } from "../values";

/** What check() returns here: always the canonical inputs and the (possibly empty) list of failures. */
export interface Checked<Inputs> extends dynamic.CheckResult<Inputs> {
    readonly inputs: Inputs;
    readonly failures: dynamic.CheckFailure[];
}

/**
 * A provider with every method, typed by its inputs and stored outputs. Assignable to `dynamic.ResourceProvider`, and
 * its methods can be called directly (tests, tools) without checking that they exist.
 */
export type TypedProvider<Inputs, Outputs> = Omit<Required<dynamic.ResourceProvider<Inputs, Outputs>>, "check"> & {
    /** The engine passes no old inputs when the resource is being created. */
    check(olds: Inputs | undefined, news: Inputs): Promise<Checked<Inputs>>;
};

/** The resource-specific methods of a {@link TypedProvider}; `configure()` is shared by every resource. */
export type ResourceMethods<Inputs, Outputs> = Omit<TypedProvider<Inputs, Outputs>, "configure">;

/** The functions one untyped resource file implements (see {@link providerFor}). */
export interface ResourceImpl {
    check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult>;
    diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.DiffResult>;
    create(inputs: Record<string, unknown>): Promise<dynamic.CreateResult>;
    read(id: string, props?: Record<string, unknown>): Promise<dynamic.ReadResult>;
    update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.UpdateResult>;
    remove(id: string, props: Record<string, unknown>): Promise<void>;
}

/** The part of `node:module`'s compile-cache API (Node ≥ 22.10) used here; absent on older Node. */
const compileCache = nodeModule as { getCompileCacheDir?: () => string | undefined; flushCompileCache?: () => void };

/**
 * Writes Node's compile cache now when one is on (`NODE_COMPILE_CACHE`, which `clientpolicy report` sets for its
 * runs). The engine kills provider plugins rather than letting them exit, so the cache Node writes at exit never
 * lands and every provider host compiles @pulumi/pulumi (TypeScript included) and this package again: about 0.4 s of
 * CPU per process. Called as a provider module loads, when the host and this package are compiled.
 */
function flushCompileCache(): void {
    if (compileCache.getCompileCacheDir?.()) compileCache.flushCompileCache?.();
}

/**
 * The provider object for `methods`: `configure()` sets up the shared per-process tenant client, and every result
 * handed back to the engine is plain JSON (see {@link plainJson}).
 */
export function typedProvider<Inputs, Outputs>(methods: ResourceMethods<Inputs, Outputs>): TypedProvider<Inputs, Outputs> {
    flushCompileCache();
    return {
        configure: (req) => runtime.configure(req),
        check: async (olds, news) => plainJson(await methods.check(olds, news)),
        diff: (id, olds, news) => methods.diff(id, olds, news),
        create: async (inputs) => plainJson(await methods.create(inputs)),
        read: async (id, props) => plainJson(await methods.read(id, props)),
        update: async (id, olds, news) => plainJson(await methods.update(id, olds, news)),
        delete: (id, props) => methods.delete(id, props),
    };
}

/** The provider object for an untyped resource implementation (PolicyGrant's, until it has a model of its own). */
export function providerFor(impl: ResourceImpl): dynamic.ResourceProvider {
    flushCompileCache();
    return {
        configure: (req) => runtime.configure(req),
        check: async (olds, news) => plainJson(await impl.check(olds ?? {}, news)),
        diff: (id, olds, news) => impl.diff(id, olds, news),
        create: async (inputs) => plainJson(await impl.create(inputs)),
        read: async (id, props) => plainJson(await impl.read(id, props)),
        update: async (id, olds, news) => plainJson(await impl.update(id, olds, news)),
        delete: (id, props) => impl.remove(id, props),
    };
}

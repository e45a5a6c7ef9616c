/**
 * Builds a dynamic provider object from a resource implementation. Each `*.provider.ts` module exports the result as
 * its whole `module.exports`, which is what lets Pulumi serialize the provider as a `require()` of that module.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as runtime from "../runtime";
import { plainJson } from "../schema";

/** The functions one resource file implements. */
export interface ResourceImpl {
    check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.CheckResult>;
    diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.DiffResult>;
    create(inputs: Record<string, unknown>): Promise<dynamic.CreateResult>;
    read(id: string, props?: Record<string, unknown>): Promise<dynamic.ReadResult>;
    update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<dynamic.UpdateResult>;
    remove(id: string, props: Record<string, unknown>): Promise<void>;
}

/** The provider object for `impl`; `configure()` sets up the shared per-process tenant client. */
export function providerFor(impl: ResourceImpl): dynamic.ResourceProvider {
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

/**
 * The StackInstance dynamic provider: makes the instance id once and keeps it; it never touches the tenant. This
 * module's whole `module.exports` is the provider object, so when the package is installed in node_modules Pulumi
 * serializes it as a one-line `require()` of this file (a path stored in users' state: public API). No module-level
 * state here.
 */
import { randomBytes } from "node:crypto";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { StackInstanceInputs, StoredStackInstanceOutputs, changedProperties, parseState } from "./stackInstance.model";
import { Checked, TypedProvider, typedProvider } from "./providerObject";

/** No inputs to validate; whatever the engine passes is dropped. */
async function check(): Promise<Checked<StackInstanceInputs>> {
    return { inputs: {}, failures: [] };
}

/** Never changes: the id is made once (the attribute table has nothing that updates or replaces). */
async function diff(_id: string, olds: StoredStackInstanceOutputs, news: StackInstanceInputs): Promise<dynamic.DiffResult> {
    const updates = changedProperties(olds, news, "update");
    const replaces = changedProperties(olds, news, "replace");
    return { changes: updates.length + replaces.length > 0, replaces, deleteBeforeReplace: false };
}

async function create(): Promise<dynamic.CreateResult<StoredStackInstanceOutputs>> {
    const instance = randomBytes(8).toString("hex");
    return { id: instance, outs: { instance } };
}

/** The id is the state; nothing to read from the tenant. */
async function read(id: string, props: StoredStackInstanceOutputs = {}): Promise<dynamic.ReadResult<StoredStackInstanceOutputs>> {
    return { id, props: parseState(id, props), inputs: {} };
}

async function update(id: string, olds: StoredStackInstanceOutputs): Promise<dynamic.UpdateResult<StoredStackInstanceOutputs>> {
    return { outs: parseState(id, olds) };
}

/** Leaving state is all there is to delete. */
async function remove(): Promise<void> {
    return;
}

/** The provider object: typed, and its module's whole `module.exports`. */
const provider: TypedProvider<StackInstanceInputs, StoredStackInstanceOutputs> = typedProvider({ check, diff, create, read, update, delete: remove });
export = provider;

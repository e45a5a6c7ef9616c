/**
 * The `StackInstance` resource: one per stack, created by the first {@link ClientPolicy} or {@link PolicyGrant} a
 * program declares. Its only output, `instance`, is a random id made at its create and kept in the stack's state from
 * then on, so it follows the stack through `pulumi stack rename` and project renames, while a stack created later under
 * a reused name gets a new one. Every owner id this package records in the tenant carries it
 * (`project/stack@instance/resource`, see provider/ownership.ts); it never touches the tenant itself.
 */
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { STACK_INSTANCE_RESOURCE, runSingleton } from "../ownership";

/** Dynamic resource module and type: URN type `pulumi-nodejs:dynamic/clientpolicy:StackInstance`. Public API. */
export const MODULE = "clientpolicy";
/** Type name of the resource (public API, never rename). */
export const TYPE = "StackInstance";

/** Records the stack instance id in state; see the module comment. Programs never declare it themselves. */
export class StackInstance extends pulumi.dynamic.Resource {
    /** The stack instance id: 16 hexadecimal digits, random. */
    declare public readonly instance: pulumi.Output<string>;

    constructor(name: string, opts?: pulumi.CustomResourceOptions) {
        super(require("./stackInstance.provider"), name, { instance: undefined }, opts, MODULE, TYPE);
    }
}

/**
 * This stack's instance id, from the one {@link StackInstance} of this program run (declared on first use, at the top
 * level of the program whatever component asks, so moving resources into or out of components never moves it).
 */
export function stackInstance(): pulumi.Output<string> {
    return runSingleton("stackInstance", () => new StackInstance(STACK_INSTANCE_RESOURCE).instance);
}

/** A well-formed instance id. */
const INSTANCE = /^[0-9a-f]{16}$/;

export async function check(_olds: Record<string, unknown>, _news: Record<string, unknown>): Promise<dynamic.CheckResult> {
    return { inputs: {}, failures: [] };
}

/** Never changes: the id is made once. */
export async function diff(): Promise<dynamic.DiffResult> {
    return { changes: false, replaces: [], deleteBeforeReplace: false };
}

export async function create(): Promise<dynamic.CreateResult> {
    const instance = randomBytes(8).toString("hex");
    return { id: instance, outs: { instance } };
}

/** The id is the state; nothing to read from the tenant. */
export async function read(id: string, props: Record<string, unknown> = {}): Promise<dynamic.ReadResult> {
    const instance = typeof props.instance === "string" && INSTANCE.test(props.instance) ? props.instance : id;
    return { id, props: { instance }, inputs: {} };
}

export async function update(id: string, olds: Record<string, unknown>): Promise<dynamic.UpdateResult> {
    return { outs: { instance: typeof olds.instance === "string" ? olds.instance : id } };
}

/** Leaving state is all there is to delete. */
export async function remove(): Promise<void> {
    return;
}

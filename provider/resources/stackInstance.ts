/**
 * The `StackInstance` resource: one per stack, created by the first {@link ClientPolicy} or {@link PolicyGrant} a
 * program declares. Its only output, `instance`, is a random id made at its create and kept in the stack's state from
 * then on, so it follows the stack through `pulumi stack rename` and project renames, while a stack created later under
 * a reused name gets a new one. Every owner id this package records in the tenant carries it
 * (`project/stack@instance/resource`, see provider/ownership.ts); it never touches the tenant itself.
 *
 * This file is the program side; the provider is stackInstance.provider.ts and the model stackInstance.model.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { STACK_INSTANCE_RESOURCE, runSingleton } from "../ownership";
import { MODULE, TYPE } from "./stackInstance.model";

export { MODULE, TYPE };

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

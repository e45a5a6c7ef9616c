/**
 * The StackInstance data model, shared by the resource class (stackInstance.ts) and its provider
 * (stackInstance.provider.ts): the type token, the one output and the rules for reading it from state.
 */

/** Dynamic resource module and type: URN type `pulumi-nodejs:dynamic/clientpolicy:StackInstance`. Public API. */
export const MODULE = "clientpolicy";
/** Type name of the resource (public API, never rename). */
export const TYPE = "StackInstance";

/** How one property behaves; see the table. */
export interface AttributeRule {
    /** Who sets it: the program, or the provider (an output only). */
    readonly setBy: "program" | "provider";
    /** Kept in state from create() on. */
    readonly carried: boolean;
    /** What a change of it does in diff(): replace the resource, update it, or nothing. */
    readonly onChange: "replace" | "update" | "none";
}

/**
 * The attribute table. The resource has no inputs: `instance` is an output made by create() and carried in state from
 * then on, so nothing ever changes or replaces a StackInstance.
 */
export const ATTRIBUTES = {
    instance: { setBy: "provider", carried: true, onChange: "none" },
} as const satisfies Record<string, AttributeRule>;

/** The properties whose rule is `onChange` and whose value differs between stored outputs and new inputs. */
export function changedProperties(olds: StoredStackInstanceOutputs, news: StackInstanceInputs, onChange: AttributeRule["onChange"]): string[] {
    const rules: [string, AttributeRule][] = Object.entries(ATTRIBUTES);
    return rules.filter(([key, rule]) => rule.onChange === onChange && rule.setBy === "program" && olds[key] !== news[key]).map(([key]) => key);
}

/** Inputs: none. The engine still passes Pulumi's `__provider` key and the registered output, both ignored. */
export type StackInstanceInputs = { readonly [key: string]: unknown };

/** The outputs written to state. */
export type StackInstanceOutputs = {
    /** The stack instance id: 16 hexadecimal digits, random. */
    instance: string;
};

/** Outputs as found in state (read defensively: the id stands in for a missing or malformed `instance`). */
export type StoredStackInstanceOutputs = { readonly instance?: unknown } & { readonly [key: string]: unknown };

/** A well-formed instance id. */
const INSTANCE = /^[0-9a-f]{16}$/;

/** Whether `v` is a well-formed instance id. */
export function isInstanceId(v: unknown): v is string {
    return typeof v === "string" && INSTANCE.test(v);
}

/** The state's instance id, parsed once: the stored `instance` when well formed, else the resource id (they are equal). */
export function parseState(id: string, props: StoredStackInstanceOutputs): StackInstanceOutputs {
    return { instance: isInstanceId(props.instance) ? props.instance : id };
}

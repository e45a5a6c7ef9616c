/**
 * The parts of check() that are the same for every resource: the user's inputs without Pulumi's internal keys,
 * "did you mean" for unknown properties, optional control inputs, problems only the program can see, and where a
 * failure is reported.
 */
import { suggestName } from "../api/catalogue";
import type { CheckFailure } from "@pulumi/pulumi/dynamic";
import { ValidationError } from "./errors";
import { show } from "./values";

/** Pulumi's internal input key carrying the serialized provider. */
export const PROVIDER_KEY = "__provider";

/**
 * The user's inputs without Pulumi's `__provider` key and without `undefined` members (an output property the
 * resource class registers but the user did not set).
 */
export function userInputs(news: Record<string, unknown> | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k in news) {
        const v = news[k];
        if (v !== undefined && k !== PROVIDER_KEY) out[k] = v;
    }
    return out;
}

/** The failure for a property the schema does not know. Typos must never pass silently. */
export function unknownPropertyFailure(name: string, known: Iterable<string>): CheckFailure {
    const guess = suggestName(name, known);
    return { property: name, reason: `unknown property${guess ? `; did you mean "${guess}"?` : ""}` };
}

/** Checks an optional boolean control input (`adopt`, `forceDeleteWhenGranted`). */
export function checkOptionalBoolean(props: Record<string, unknown>, key: string, failures: CheckFailure[]): boolean | undefined {
    const v = props[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") {
        failures.push({ property: key, reason: `must be a boolean (true or false), got ${show(v)}` });
        return undefined;
    }
    return v;
}

/**
 * A resource's parsed inputs for a CRUD method, which canonicalises its own inputs instead of relying on check():
 * any failure (or an input still unknown) is a {@link ValidationError} naming every property, before anything is written.
 */
export function requireValid<T>(resource: string, result: { parsed?: T; failures: CheckFailure[] }): T {
    if (result.failures.length > 0 || !result.parsed) {
        const reasons = result.failures.length > 0
            ? result.failures.map((f) => (f.property ? `${f.property}: ${f.reason}` : f.reason)).join("; ") : "some inputs are not known yet";
        throw new ValidationError(`invalid ${resource} inputs: ${reasons}`, { code: "InvalidInputs" });
    }
    return result.parsed;
}

/**
 * Internal input a resource class sets when the program itself is wrong in a way only the program can see (the same
 * tenant object declared twice, the `import` option): check() reports it as a failure. Reported there rather than
 * thrown from the constructor, it fails `pulumi preview` like any other bad input, without a stack trace, and without
 * an exception in the program (after which in-process Automation API runs of the SDK are unreliable).
 */
export const DECLARATION_PROBLEM = "declarationProblem";

/** What check() reports for a problem only the program sees: the property (or "") and why. */
export interface DeclarationProblem {
    property: string;
    reason: string;
}

/** The check failure a resource class recorded in {@link DECLARATION_PROBLEM}, if any. */
export function declarationFailure(news: Record<string, unknown>): CheckFailure | undefined {
    const v = news[DECLARATION_PROBLEM] as { property?: unknown; reason?: unknown } | undefined;
    if (!v || typeof v !== "object" || typeof v.reason !== "string") return undefined;
    return failureAt(typeof v.property === "string" ? v.property : "", v.reason);
}

/**
 * A check failure at `path`. The engine prints a failure's value by looking its property up as a top-level input key,
 * so a nested path (`users[3]`, `a.b`) would print `value {<nil>}`: such a path goes at the start of the reason
 * instead (`users[3]: "Ghost User": no such user in the tenant`), with no property.
 */
export function failureAt(path: string, reason: string): CheckFailure {
    return path === "" || /^[A-Za-z_$][\w$]*$/.test(path) ? { property: path, reason } : { property: "", reason: `${path}: ${reason}` };
}

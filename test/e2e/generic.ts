/**
 * Helpers for the e2e tests that drive test/e2e/programs/generic: its resources
 * are a JSON list in stack config (`gen:resources`), so each case is a config
 * change, as a pull request would make, not a code edit.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { ExampleStack, stateFile } from "../../testkit/stack";
import { collector, readStateFile } from "./helpers";
import type { Entry } from "./programs/generic";

export type { Entry };

export const GENERIC = "test/e2e/programs/generic";

export const policy = (name: string, args: Record<string, unknown>, extra: Partial<Entry> = {}): Entry => ({ type: "policy", name, args, ...extra });
export const tenantPolicies = (name: string, args: Record<string, unknown>): Entry => ({ type: "tenant", name, args });
export const grant = (name: string, args: Record<string, unknown>, extra: Partial<Entry> = {}): Entry => ({ type: "grant", name, args, ...extra });

/** Replaces the program's resources. */
export async function setResources(h: ExampleStack, entries: Entry[]): Promise<void> {
    await h.stack.setConfig("gen:resources", { value: JSON.stringify(entries) });
}

/** The stack instance recorded in the stack's state (its `clientpolicy-stack-instance` resource), if any yet. */
export function stackInstanceOf(h: ExampleStack): string | undefined {
    if (!fs.existsSync(stateFile(h))) return undefined;
    const resources: Array<{ type: string; outputs?: { instance?: string } }> = JSON.parse(readStateFile(h)).checkpoint?.latest?.resources ?? [];
    return resources.find((r) => r.type === STACK_INSTANCE_TYPE)?.outputs?.instance;
}

/** URN type of the resource that records a stack's instance. */
export const STACK_INSTANCE_TYPE = "pulumi-nodejs:dynamic/clientpolicy:StackInstance";

/**
 * The owner id the provider records for resource `name` of this stack: `project/stack@instance/name`, or name-only
 * before the stack's first `up` has recorded its instance.
 */
export function ownerOf(h: ExampleStack, name: string): string {
    const instance = stackInstanceOf(h);
    return `${h.projectName}/${h.stack.name}${instance ? `@${instance}` : ""}/${name}`;
}

/** Runs `op`, expects it to fail, returns the error message plus everything the CLI printed. */
export async function expectFailure(h: ExampleStack, op: "preview" | "up" | "destroy" | "refresh", opts: Record<string, unknown> = {}): Promise<string> {
    const out = collector();
    let message = "";
    await assert.rejects((h.stack as any)[op]({ onOutput: out.onOutput, ...opts }), (err: Error) => { message = String(err?.message ?? err); return true; });
    return `${message}\n${out.text()}`;
}

/** Operations other than "same" in a change summary. */
export function changesOf(summary: Record<string, number | undefined> | undefined): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [op, n] of Object.entries(summary ?? {})) if (op !== "same" && (n ?? 0) > 0) out[op] = n!;
    return out;
}

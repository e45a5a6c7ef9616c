// A program whose resources come from stack config (namespace "gen"), so one
// program serves many e2e cases without code edits:
//   gen:resources  JSON list of
//     { type: "policy" | "grant" | "tenant", name, args,
//       aliases?: string[]            // resource option aliases: [{ name }]
//       import?: string               // resource option import (must fail at construction)
//       ignoreChanges?: string[]      // resource option ignoreChanges
//       policyFrom?: string           // grant: policyName = <that policy>.identity (and a dependency)
//       argsFrom?: { [arg]: name }    // arg = <that earlier resource>.policyName (unknown until it is created)
//       secretArgs?: { [arg]: key }   // arg = config.requireSecretObject(key) (a secret Output)
//     }
//   A "tenant" entry is a TenantPolicies component: args = { declaration, options } as the component takes them; in
//   options, an alias `{ name, parent: "pulumi.rootStackResource" }` stands for that object in a TypeScript program.
import * as pulumi from "@pulumi/pulumi";
import * as cp from "clientpolicy-as-code";

/** One resource of this program; test/e2e/generic.ts builds lists of these. */
export interface Entry {
    type: "policy" | "grant" | "tenant";
    name: string;
    args?: Record<string, unknown>;
    aliases?: string[];
    import?: string;
    ignoreChanges?: string[];
    policyFrom?: string;
    argsFrom?: Record<string, string>;
    secretArgs?: Record<string, string>;
}

const config = new pulumi.Config("gen");
const entries = config.getObject<Entry[]>("resources") ?? [];
const policies = new Map<string, cp.ClientPolicy>();
const outputs = new Map<string, pulumi.Output<string>>();

for (const e of entries) {
    const args: Record<string, unknown> = { ...(e.args ?? {}) };
    for (const [arg, key] of Object.entries(e.secretArgs ?? {})) args[arg] = config.requireSecretObject(key);
    for (const [arg, from] of Object.entries(e.argsFrom ?? {})) args[arg] = outputs.get(from)!;
    if (e.type === "tenant") {
        const options = args.options as Record<string, Record<string, { aliases?: unknown[] }>> | undefined;
        for (const byKey of Object.values(options ?? {})) {
            for (const child of Object.values(byKey)) {
                child.aliases = child.aliases?.map((a) => (a && typeof a === "object" && (a as { parent?: unknown }).parent === "pulumi.rootStackResource"
                    ? { ...(a as object), parent: pulumi.rootStackResource } : a));
            }
        }
        new cp.TenantPolicies(e.name, args as unknown as cp.TenantPoliciesArgs);
        continue;
    }
    const opts: pulumi.CustomResourceOptions = {};
    if (e.aliases) opts.aliases = e.aliases.map((name) => ({ name }));
    if (e.import) opts.import = e.import;
    if (e.ignoreChanges) opts.ignoreChanges = e.ignoreChanges;
    if (e.type === "policy") {
        const p = new cp.ClientPolicy(e.name, args as unknown as cp.ClientPolicyArgs, opts);
        policies.set(e.name, p);
        outputs.set(e.name, p.policyName);
    } else {
        if (e.policyFrom) {
            const p = policies.get(e.policyFrom)!;
            args.policyName = p.identity;
        }
        outputs.set(e.name, new cp.PolicyGrant(e.name, args as unknown as cp.PolicyGrantArgs, opts).policyName);
    }
}

export const count = entries.length;

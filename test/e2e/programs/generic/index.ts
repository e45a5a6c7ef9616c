// A program whose resources come from stack config (namespace "gen"), so one
// program serves many e2e cases without code edits:
//   gen:resources  JSON list of
//     { type: "policy" | "grant", name, args,
//       aliases?: string[]            // resource option aliases: [{ name }]
//       import?: string               // resource option import (must fail at construction)
//       policyFrom?: string           // grant: policyName = <that policy>.identity (and a dependency)
//       secretArgs?: { [arg]: key }   // arg = config.requireSecretObject(key) (a secret Output)
//     }
import * as pulumi from "@pulumi/pulumi";
import * as cp from "clientpolicy-as-code";

/** One resource of this program; test/e2e/generic.ts builds lists of these. */
export interface Entry {
    type: "policy" | "grant";
    name: string;
    args?: Record<string, unknown>;
    aliases?: string[];
    import?: string;
    policyFrom?: string;
    secretArgs?: Record<string, string>;
}

const config = new pulumi.Config("gen");
const entries = config.getObject<Entry[]>("resources") ?? [];
const policies = new Map<string, cp.ClientPolicy>();

for (const e of entries) {
    const args: Record<string, unknown> = { ...(e.args ?? {}) };
    for (const [arg, key] of Object.entries(e.secretArgs ?? {})) args[arg] = config.requireSecretObject(key);
    const opts: pulumi.CustomResourceOptions = {};
    if (e.aliases) opts.aliases = e.aliases.map((name) => ({ name }));
    if (e.import) opts.import = e.import;
    if (e.type === "policy") {
        policies.set(e.name, new cp.ClientPolicy(e.name, args as unknown as cp.ClientPolicyArgs, opts));
    } else {
        if (e.policyFrom) {
            const p = policies.get(e.policyFrom)!;
            args.policyName = p.identity;
        }
        new cp.PolicyGrant(e.name, args as unknown as cp.PolicyGrantArgs, opts);
    }
}

export const count = entries.length;

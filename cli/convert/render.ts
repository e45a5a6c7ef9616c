/**
 * Output of `clientpolicy convert`: the declaration as config-repo YAML (provider/tenantConfig's serializer) or as a
 * TypeScript Pulumi program with one ClientPolicy per policy and one PolicyGrant per granted policy, named as
 * `TenantPolicies` names its children (`global`, `tag-offlineim`, `grant-offlineim`). Unconverted lines are listed in
 * a comment at the top of both, so a reviewer of the file sees them too.
 */
import { writeTenantYaml } from "../../provider/tenantConfig";
import { tenantItemName } from "../../provider/tenantConfig/names";
import { tsComment, tsKey, tsLiteral, tsString, yamlCommentText } from "../emit/typescript";
import type { ConvertResult } from "./convert";

/** Comment lines (without the comment marker): source, counts, and every line that was not converted. */
export function headerLines(source: string, result: ConvertResult): string[] {
    const lines = [`converted from ${source} by clientpolicy convert: ${result.converted} of ${result.commands} command lines`];
    if (result.problems.length) {
        lines.push("NOT converted (fix or handle by hand, then convert again):");
        for (const p of result.problems) {
            lines.push(`  line ${p.line}, column ${p.column}: ${p.reason}`);
            if (p.suggestion) lines.push(`    suggested: ${p.suggestion}`);
        }
    }
    return lines;
}

/** The config-repo YAML (a tenant file), with {@link headerLines} on top. */
export function renderConvertYaml(source: string, result: ConvertResult): string {
    return writeTenantYaml(result.declaration, { header: headerLines(source, result).map(yamlCommentText) });
}

/** A JavaScript identifier from a resource name (`tag-offlineim` → `tagOfflineim`), unique within `used`. */
function identifier(name: string, used: Set<string>): string {
    let base = name.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""));
    if (!/^[A-Za-z_]/.test(base)) base = `p${base}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}${n}`;
    used.add(id);
    return id;
}

/** The TypeScript program, with {@link headerLines} on top. */
export function renderConvertTypeScript(source: string, result: ConvertResult): string {
    // Script text (file name, reasons, suggested lines) reaches the output only through the TypeScript emitter.
    const out: string[] = headerLines(source, result).map(tsComment);
    out.push('import * as cp from "clientpolicy-as-code";', "");
    const used = new Set<string>(["cp"]);
    const varByIdentity = new Map<string, string>();
    for (const p of result.declaration.policies) {
        const name = tenantItemName(p.identity, "policy");
        const v = identifier(`${name}-policy`, used);
        varByIdentity.set(p.identity.toLowerCase(), v);
        const fields: string[] = [`identity: ${tsString(p.identity)}`];
        if (p.description !== undefined) fields.push(`description: ${tsLiteral(p.description)}`);
        for (const [k, value] of Object.entries(p.settings)) fields.push(`${tsKey(k)}: ${tsLiteral(value)}`);
        if (p.adopt) fields.push("adopt: true");
        out.push(`export const ${v} = new cp.ClientPolicy(${tsString(name)}, {`, ...fields.map((f) => `    ${f},`), "});");
    }
    if (result.declaration.grants.length) out.push("");
    for (const g of result.declaration.grants) {
        const name = tenantItemName(g.policy, "grant");
        const policyVar = varByIdentity.get(g.policy.toLowerCase());
        // Referencing the declared policy's identity orders the grant after it.
        const policyName = policyVar ? `${policyVar}.identity` : tsString(g.policy);
        out.push(`new cp.PolicyGrant(${tsString(name)}, {`, `    policyName: ${policyName},`, `    users: ${tsLiteral([...g.users])},`, "});");
    }
    return out.join("\n") + "\n";
}

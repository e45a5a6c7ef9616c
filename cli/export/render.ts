/**
 * Turns a {@link TenantSnapshot} into the declaration that reproduces it: resource names and the TypeScript program
 * (`--format ts`). Every resource carries `adopt: true`, so the first `pulumi up` takes the tenant over (docs/ownership.md)
 * instead of failing on objects that already exist; grants are one `PolicyGrant` per policy with `users`.
 */
import { PolicyIdentity } from "../../api/identity";
import { tsComment, tsKey, tsLiteral, tsString, yamlCommentText } from "../emit/typescript";
import type { StackRef } from "./connection";
import { classifyOwner, grantOwners, ownerText, ownershipView } from "./owners";
import { ExportedGrant, ExportedPolicy, TenantSnapshot } from "./read";

/** A policy with the names the declaration gives it. */
export interface NamedPolicy extends ExportedPolicy {
    /** Pulumi resource name (`global`, `site-redmond`, `tag-offlineim`), unique in the program. */
    readonly resourceName: string;
}

/** A grant with its resource name (`grant-offlineim`). */
export interface NamedGrant extends ExportedGrant {
    readonly resourceName: string;
}

/** The declaration: the snapshot with unique resource names. */
export interface Declaration {
    readonly snapshot: TenantSnapshot;
    /** The stack the export is for, when known (`--stack`): what it owns already is not another stack's. */
    readonly target?: StackRef;
    readonly policies: readonly NamedPolicy[];
    readonly grants: readonly NamedGrant[];
}

/** `Tag:Sales EU` → `sales-eu`: lower case, runs of anything but letters and digits become one `-`. */
function slug(text: string): string {
    const s = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    return s === "" ? "policy" : s;
}

/** Gives every policy and grant a unique, stable resource name (a `-2`, `-3` suffix where two names would collide). */
export function nameResources(snapshot: TenantSnapshot, target?: StackRef): Declaration {
    const used = new Set<string>();
    const unique = (base: string) => {
        let name = base;
        for (let n = 2; used.has(name); n++) name = `${base}-${n}`;
        used.add(name);
        return name;
    };
    const baseName = (id: PolicyIdentity) => (id.scope === "global" ? "global" : `${id.scope}-${slug(id.name)}`);
    const policies = snapshot.policies.map((p) => ({ ...p, resourceName: unique(baseName(p.identity)) }));
    const grants = snapshot.grants.map((g) => ({ ...g, resourceName: unique(`grant-${slug(g.policy.name)}`) }));
    return { snapshot, target, policies, grants };
}

/** A JS identifier for a resource name: `tag-offlineim` → `tagOfflineim`. */
function identifier(resourceName: string): string {
    return resourceName.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The header comment: where and when the declaration came from, and what the first `up` does. */
export function headerLines(decl: Declaration): string[] {
    const s = decl.snapshot;
    const users = s.grants.reduce((n, g) => n + g.users.length, 0);
    return [
        `Exported by \`clientpolicy export\` from tenant ${s.tenantId} at ${s.endpoint} on ${s.readAt.toISOString()}.`,
        `${s.policies.length} client ${s.policies.length === 1 ? "policy" : "policies"}; ` + (s.grantsIncluded
            ? `${users} direct ${users === 1 ? "grant" : "grants"} (one grant resource per policy, users by SIP address).`
            : "direct grants not exported (run with --include-grants to add them)."),
        "Every resource has `adopt: true`: the first `pulumi up` takes these objects over (records this stack as their",
        "owner) without changing a setting or a grant; review, then run `pulumi preview`, `pulumi up`.",
        "Settings not listed are unset in the tenant, and stay unset.",
        ...ownerHeader(decl),
    ];
}

/** Header lines naming what other stacks own today (taken over with `--take-over`), or saying nothing is. */
function ownerHeader(decl: Declaration): string[] {
    const view = ownershipView(decl.policies, decl.grants, decl.target);
    if (view.foreign.length === 0) {
        return [view.owned === 0 ? "Owners today: none recorded (everything was made by hand)." : "Owners today: no object belongs to another stack."];
    }
    return [
        `Owned by other stacks today, taken over by the first \`pulumi up\` (exported with --take-over); their stacks' next`,
        "`pulumi up` fails naming this stack as the owner, so remove these resources from those programs:",
        ...view.foreign.map((f) => `  ${f.object}: ${ownerText(f.owner, decl.target)}`),
    ];
}

/** `; owner today: …` for a policy's comment line when it has an owner. */
function policyOwnerNote(p: ExportedPolicy, target: StackRef | undefined): string {
    return p.owner === null ? "" : `; owner today: ${ownerText(p.owner, target)}${classifyOwner(p.owner, target) === "another stack" ? " (taken over)" : ""}`;
}

/** `; owners today: …` for a grant's comment line when some of its users have an owner. */
function grantOwnerNote(g: ExportedGrant, target: StackRef | undefined): string {
    const parts = grantOwners(g);
    if (parts.every((x) => x.owner === null)) return "";
    return `; owners today: ${parts.map((x) => `${x.users} ${ownerText(x.owner, target)}`).join("; ")}`;
}

/** The TypeScript program (`index.ts`) that declares the snapshot. */
export function renderTypeScript(decl: Declaration): string {
    const out: string[] = [];
    // Every piece of text from the tenant goes through the one TypeScript emitter (cli/emit/typescript.ts): a policy
    // name holding U+2028 would otherwise end a `//` comment and start a line of code.
    out.push(...headerLines(decl).map(tsComment));
    out.push('import * as cp from "clientpolicy-as-code";', "");
    const granted = new Set(decl.grants.map((g) => g.policy.key));
    const varOf = new Map<string, string>();
    for (const p of decl.policies) {
        const count = Object.keys(p.settings).length;
        out.push(tsComment(`${p.identity.canonical}: ${count} setting${count === 1 ? "" : "s"} set${granted.has(p.identity.key) ? "; granted below" : ""}` +
            policyOwnerNote(p, decl.target)));
        const head = `new cp.ClientPolicy(${tsString(p.resourceName)}, {`;
        if (granted.has(p.identity.key)) {
            const v = identifier(p.resourceName);
            varOf.set(p.identity.key, v);
            out.push(`const ${v} = ${head}`);
        } else {
            out.push(head);
        }
        out.push(`    identity: ${tsString(p.identity.canonical)},`, "    adopt: true,");
        for (const [key, value] of Object.entries(p.settings)) out.push(`    ${tsKey(key)}: ${tsLiteral(value, "    ")},`);
        out.push("});", "");
    }
    for (const g of decl.grants) {
        out.push(tsComment(`${g.policy.canonical} is granted directly to ${g.users.length} user${g.users.length === 1 ? "" : "s"}${grantOwnerNote(g, decl.target)}`));
        out.push(`new cp.PolicyGrant(${tsString(g.resourceName)}, {`);
        const v = varOf.get(g.policy.key);
        out.push(`    policyName: ${v ? `${v}.identity` : tsString(g.policy.canonical)},`, "    adopt: true,");
        out.push(`    users: ${tsLiteral(g.users, "    ")},`);
        out.push("});", "");
    }
    return out.join("\n");
}

/** The config-repo YAML (`--format yaml`, the `tenants/<stack>.yaml` format of provider/tenantConfig) for the snapshot. */
export function renderYaml(decl: Declaration): string {
    // Loaded here so that the TypeScript output never depends on the config-repo module.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { writeTenantYaml } = require("../../provider/tenantConfig") as typeof import("../../provider/tenantConfig");
    const policies = decl.policies.map((p) => {
        const { description, ...settings } = p.settings as Record<string, unknown>;
        return { identity: p.identity.canonical, ...(typeof description === "string" ? { description } : {}), adopt: true, settings };
    });
    const grants = decl.grants.map((g) => ({ policy: g.policy.canonical, users: [...g.users], adopt: true }));
    // Values are written by the `yaml` library; the header comment's text is made one line per entry first.
    return writeTenantYaml({ policies, grants }, { header: headerLines(decl).map(yamlCommentText) });
}

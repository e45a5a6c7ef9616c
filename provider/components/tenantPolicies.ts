/**
 * `TenantPolicies`: a component resource that deploys one tenant's merged declaration (the config repo's
 * `baseline.yaml` + `tenants/<stack>.yaml`, see provider/tenantConfig) as {@link ClientPolicy} and {@link PolicyGrant}
 * resources.
 *
 * Logical names are derived from each item's own identity only, never from its position, so adding, removing or
 * reordering other items renames nothing (a rename would read as delete + create and change the owner id recorded in
 * the tenant): `<name>-global`, `<name>-site-<site>`, `<name>-tag-<tag>` for policies and `<name>-grant-<tag>` for
 * grants, lower-cased; a name with characters outside `a-z0-9-` gets a short hash of its identity appended so that
 * two identities never share a name. A grant of a policy the declaration also holds takes that policy's `identity`
 * output, so it is created after the policy and removed before it.
 */
import * as pulumi from "@pulumi/pulumi";
import { isIdentityError, parseGrantPolicyName, parsePolicyIdentity } from "../../api/identity";
import { ValidationError } from "../errors";
import { ClientPolicy, ClientPolicyArgs } from "../resources/clientPolicy";
import { PolicyGrant, PolicyGrantArgs } from "../resources/policyGrant";
import { tenantItemName } from "../tenantConfig/names";
import type { TenantDeclaration } from "../tenantConfig/schema";

export { tenantItemName };

/** Type token of the component (public API: part of every child's URN; never rename). */
export const TENANT_POLICIES_TYPE = "clientpolicy:index:TenantPolicies";

/**
 * Options for one child of {@link TenantPolicies}, which creates its children itself (so a program cannot pass them
 * resource options directly).
 */
export interface TenantChildOptions {
    /**
     * Earlier names of this child, e.g. when a hand-written resource moves into the component. A string is the name of
     * a resource declared at the top level of the program (`{ name, parent: pulumi.rootStackResource }`); give a full
     * `Alias` for anything else (another parent, project or stack).
     */
    aliases?: Array<string | pulumi.Alias>;
    /** `adopt` of the child (overrides the declaration's `adopt`). */
    adopt?: boolean;
    /** Pulumi's `protect` for the child. */
    protect?: boolean;
    /** Pulumi's `retainOnDelete` for the child: removing it from the declaration leaves the tenant object as it is. */
    retainOnDelete?: boolean;
}

/** Inputs of {@link TenantPolicies}. */
export interface TenantPoliciesArgs {
    /**
     * The tenant's declaration, typically `loadTenantDeclaration(...).declaration` or `loadConfigRepo(...)`. A plain
     * value, not an output: the set of resources must be known when the program runs.
     */
    declaration: TenantDeclaration;
    /**
     * Per-child options: `policies` keyed by the policy's identity (`Global`, `Tag:OfflineIM`; any spelling the
     * declaration accepts), `grants` keyed by the granted policy. A key the declaration does not hold is an error.
     */
    options?: {
        policies?: Readonly<Record<string, TenantChildOptions>>;
        grants?: Readonly<Record<string, TenantChildOptions>>;
    };
}

const CHILD_OPTION_KEYS = ["aliases", "adopt", "protect", "retainOnDelete"];

/** Per-child options by canonical key, checked against what the declaration holds. */
function childOptions(component: string, kind: "policies" | "grants", given: Readonly<Record<string, TenantChildOptions>> | undefined,
    declared: ReadonlyMap<string, string>): Map<string, TenantChildOptions> {
    const out = new Map<string, TenantChildOptions>();
    for (const [key, value] of Object.entries(given ?? {})) {
        const id = kind === "policies" ? parsePolicyIdentity(key) : parseGrantPolicyName(key);
        const where = `TenantPolicies "${component}": options.${kind}[${JSON.stringify(key)}]`;
        if (isIdentityError(id) || !declared.has(id.key)) {
            throw new ValidationError(`${where}: the declaration has no ${kind === "policies" ? "policy" : "grant of"} ${JSON.stringify(key)}; ` +
                `it declares ${[...declared.values()].map((v) => JSON.stringify(v)).join(", ") || "none"}`);
        }
        if (!value || typeof value !== "object") throw new ValidationError(`${where}: must be an object with ${CHILD_OPTION_KEYS.join(", ")}`);
        for (const k of Object.keys(value)) {
            if (!CHILD_OPTION_KEYS.includes(k)) throw new ValidationError(`${where}.${k}: unknown option; expected one of ${CHILD_OPTION_KEYS.join(", ")}`);
        }
        for (const k of ["adopt", "protect", "retainOnDelete"] as const) {
            if (value[k] !== undefined && typeof value[k] !== "boolean") throw new ValidationError(`${where}.${k}: must be true or false, got ${JSON.stringify(value[k])}`);
        }
        if (value.aliases !== undefined && !Array.isArray(value.aliases)) throw new ValidationError(`${where}.aliases: must be a list of names or Alias objects`);
        out.set(id.key, value);
    }
    return out;
}

/** Resource options of a child from its {@link TenantChildOptions}. */
function resourceOptions(o: TenantChildOptions | undefined): pulumi.CustomResourceOptions {
    if (!o) return {};
    return {
        ...(o.aliases ? { aliases: o.aliases.map((a) => (typeof a === "string" ? { name: a, parent: pulumi.rootStackResource } : a)) } : {}),
        ...(o.protect !== undefined ? { protect: o.protect } : {}),
        ...(o.retainOnDelete !== undefined ? { retainOnDelete: o.retainOnDelete } : {}),
    };
}


/**
 * Deploys one tenant's declaration: a {@link ClientPolicy} per policy and a {@link PolicyGrant} (with `users`) per
 * grant, children of this component. `adopt`, `description` and every setting are passed as declared; the resources'
 * own check() validates values again and reports ownership conflicts in preview.
 */
export class TenantPolicies extends pulumi.ComponentResource {
    /** The policies by canonical identity (`Global`, `Tag:OfflineIM`). */
    public readonly policies: Readonly<Record<string, ClientPolicy>>;
    /** The grants by canonical policy identity (`Tag:OfflineIM`). */
    public readonly grants: Readonly<Record<string, PolicyGrant>>;
    /** The canonical identities of the declared policies, as the tenant reports them once deployed. */
    public readonly identities: pulumi.Output<string[]>;

    constructor(name: string, args: TenantPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TENANT_POLICIES_TYPE, name, {}, opts);
        const declaration = args?.declaration;
        if (!declaration || !Array.isArray(declaration.policies) || !Array.isArray(declaration.grants)) {
            throw new ValidationError(`TenantPolicies "${name}": args.declaration must be { policies: [...], grants: [...] } (see loadTenantDeclaration)`);
        }
        const used = new Map<string, string>();
        const claimName = (suffix: string, what: string) => {
            const other = used.get(suffix);
            if (other !== undefined) throw new ValidationError(`TenantPolicies "${name}": ${what} and ${other} are the same tenant object; declare it once`);
            used.set(suffix, what);
            return `${name}-${suffix}`;
        };
        const declaredPolicies = new Map<string, string>();
        for (const p of declaration.policies) {
            const id = parsePolicyIdentity(p.identity);
            if (!isIdentityError(id)) declaredPolicies.set(id.key, id.canonical);
        }
        const declaredGrants = new Map<string, string>();
        for (const g of declaration.grants) {
            const id = parseGrantPolicyName(g.policy);
            if (!isIdentityError(id)) declaredGrants.set(id.key, id.canonical);
        }
        const policyOptions = childOptions(name, "policies", args.options?.policies, declaredPolicies);
        const grantOptions = childOptions(name, "grants", args.options?.grants, declaredGrants);
        const policies: Record<string, ClientPolicy> = {};
        const byKey = new Map<string, ClientPolicy>();
        for (const p of declaration.policies) {
            const id = parsePolicyIdentity(p.identity);
            const childName = claimName(tenantItemName(p.identity, "policy"), `policy ${p.identity}`);
            const options = isIdentityError(id) ? undefined : policyOptions.get(id.key);
            const adopt = options?.adopt ?? p.adopt;
            const policyArgs = {
                ...p.settings,
                identity: p.identity,
                ...(p.description !== undefined ? { description: p.description } : {}),
                ...(adopt !== undefined ? { adopt } : {}),
                // For advice the provider prints (options go here, not on the child).
                ...(isIdentityError(id) ? {} : { declaredIn: { component: name, kind: "policies", key: id.canonical } }),
            } as ClientPolicyArgs;
            const policy = new ClientPolicy(childName, policyArgs, { ...resourceOptions(options), parent: this });
            const canonical = isIdentityError(id) ? p.identity : id.canonical;
            policies[canonical] = policy;
            if (!isIdentityError(id)) byKey.set(id.key, policy);
        }
        const grants: Record<string, PolicyGrant> = {};
        for (const g of declaration.grants) {
            const id = parseGrantPolicyName(g.policy);
            const childName = claimName(tenantItemName(g.policy, "grant"), `grant of ${g.policy}`);
            const policy = isIdentityError(id) ? undefined : byKey.get(id.key);
            const options = isIdentityError(id) ? undefined : grantOptions.get(id.key);
            const adopt = options?.adopt ?? g.adopt;
            grants[isIdentityError(id) ? g.policy : id.canonical] = new PolicyGrant(childName, {
                // The declared policy's output orders the grant after it (and its removal before the policy's).
                policyName: policy ? policy.identity : g.policy,
                users: [...g.users],
                ...(adopt !== undefined ? { adopt } : {}),
                ...(isIdentityError(id) ? {} : { declaredIn: { component: name, kind: "grants", key: id.canonical } }),
            } as PolicyGrantArgs, { ...resourceOptions(options), parent: this, ...(policy ? { dependsOn: [policy] } : {}) });
        }
        this.policies = policies;
        this.grants = grants;
        this.identities = pulumi.all(Object.values(policies).map((p) => p.identity));
        this.registerOutputs({ identities: this.identities });
    }
}

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
import { PolicyGrant } from "../resources/policyGrant";
import { tenantItemName } from "../tenantConfig/names";
import type { TenantDeclaration } from "../tenantConfig/schema";

export { tenantItemName };

/** Type token of the component (public API: part of every child's URN; never rename). */
export const TENANT_POLICIES_TYPE = "clientpolicy:index:TenantPolicies";

/** Inputs of {@link TenantPolicies}. */
export interface TenantPoliciesArgs {
    /**
     * The tenant's declaration, typically `loadTenantDeclaration(...).declaration` or `loadConfigRepo(...)`. A plain
     * value, not an output: the set of resources must be known when the program runs.
     */
    declaration: TenantDeclaration;
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
        const policies: Record<string, ClientPolicy> = {};
        const byKey = new Map<string, ClientPolicy>();
        for (const p of declaration.policies) {
            const id = parsePolicyIdentity(p.identity);
            const childName = claimName(tenantItemName(p.identity, "policy"), `policy ${p.identity}`);
            const policyArgs = {
                ...p.settings,
                identity: p.identity,
                ...(p.description !== undefined ? { description: p.description } : {}),
                ...(p.adopt !== undefined ? { adopt: p.adopt } : {}),
            } as ClientPolicyArgs;
            const policy = new ClientPolicy(childName, policyArgs, { parent: this });
            const canonical = isIdentityError(id) ? p.identity : id.canonical;
            policies[canonical] = policy;
            if (!isIdentityError(id)) byKey.set(id.key, policy);
        }
        const grants: Record<string, PolicyGrant> = {};
        for (const g of declaration.grants) {
            const id = parseGrantPolicyName(g.policy);
            const childName = claimName(tenantItemName(g.policy, "grant"), `grant of ${g.policy}`);
            const policy = isIdentityError(id) ? undefined : byKey.get(id.key);
            grants[isIdentityError(id) ? g.policy : id.canonical] = new PolicyGrant(childName, {
                // The declared policy's output orders the grant after it (and its removal before the policy's).
                policyName: policy ? policy.identity : g.policy,
                users: [...g.users],
                ...(g.adopt !== undefined ? { adopt: g.adopt } : {}),
            }, { parent: this, ...(policy ? { dependsOn: [policy] } : {}) });
        }
        this.policies = policies;
        this.grants = grants;
        this.identities = pulumi.all(Object.values(policies).map((p) => p.identity));
        this.registerOutputs({ identities: this.identities });
    }
}

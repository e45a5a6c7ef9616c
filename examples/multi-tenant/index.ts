// Multi-tenant config repo: one program, one stack per tenant. baseline.yaml is the fleet standard; each stack's
// tenants/<stack>.yaml overrides single settings, adds policies and grants, or removes baseline items by name
// (docs/config-repo.md). `clientpolicy config show <stack>` prints the merge and where each item came from.
//
//   pulumi stack select contoso    &&  pulumi up   # Pulumi.contoso.yaml   + baseline.yaml + tenants/contoso.yaml
//   pulumi stack select fabrikam   &&  pulumi up
//   pulumi stack select northwind  &&  pulumi up
//
// Both files are validated before anything is sent to a tenant; every problem is listed at once with its file,
// line, YAML path and what was expected.
import * as pulumi from "@pulumi/pulumi";
import * as cp from "clientpolicy-as-code";

const config = new pulumi.Config("multi-tenant");
const { declaration } = cp.loadTenantDeclaration({
    cwd: __dirname,
    baseline: config.get("baselineFile") ?? "baseline.yaml",
    tenant: config.get("tenantFile") ?? `tenants/${pulumi.getStack()}.yaml`,
});
const tenant = new cp.TenantPolicies("tenant", { declaration });

export const tenantId = new pulumi.Config("clientpolicy").get("tenantId");
export const policyIdentities = tenant.identities;

// Multi-tenant: one program, one stack per tenant. Each stack's config names
// its tenant and a YAML file holding that tenant's policies and grants:
//
//   pulumi stack select contoso   &&  pulumi up   # Pulumi.contoso.yaml  → tenants/contoso.yaml
//   pulumi stack select fabrikam  &&  pulumi up   # Pulumi.fabrikam.yaml → tenants/fabrikam.yaml
//
// A pull request that edits tenants/*.yaml gets one `pulumi preview --diff`
// per tenant. The YAML is validated before anything is sent to a tenant, and
// every error names the file, the path inside it and what was expected.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import * as cp from "clientpolicy-as-code";

const identityText = z.string().min(1, "must be a policy identity such as Global, site:Redmond or Tag:OfflineIM");

/** A settings map whose keys and values are checked against the settings catalogue. */
const settings = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
    for (const problem of cp.validateSettings(value)) {
        ctx.addIssue({ code: "custom", path: [problem.property], message: problem.reason });
    }
    if ("description" in value) ctx.addIssue({ code: "custom", path: ["description"], message: "is not a client policy setting here: use the policy's own description field" });
});

const tenantFile = z.object({
    policies: z.array(z.object({
        identity: identityText,
        description: z.string().optional(),
        settings: settings.default({}),
    }).strict()).default([]),
    grants: z.array(z.object({
        policy: identityText,
        users: z.array(z.string().min(1)).min(1, "must list at least one user"),
    }).strict()).default([]),
}).strict();

type TenantFile = z.infer<typeof tenantFile>;

/** Loads and validates a tenant file; throws one error listing every problem. */
function loadTenantFile(file: string): TenantFile {
    let raw: unknown;
    try {
        raw = parseYaml(fs.readFileSync(file, "utf8"));
    } catch (err) {
        throw new Error(`${file}: ${(err as Error).message}`);
    }
    const parsed = tenantFile.safeParse(raw ?? {});
    if (parsed.success) return parsed.data;
    const lines = parsed.error.issues.map((i) => `  ${file}: ${i.path.length ? i.path.join(".") : "(top level)"}: ${i.message}`);
    throw new Error(`invalid tenant file:\n${lines.join("\n")}`);
}

const config = new pulumi.Config("multi-tenant");
const file = path.resolve(__dirname, config.require("tenantFile"));
const tenant = loadTenantFile(file);

/** Logical resource names must be stable per identity so that edits are in-place updates. */
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, "-");
const policies = new Map<string, cp.ClientPolicy>();
for (const p of tenant.policies) {
    const policy = new cp.ClientPolicy(slug(p.identity), {
        identity: p.identity,
        ...(p.description !== undefined ? { description: p.description } : {}),
        ...(p.settings as Partial<cp.ClientPolicyArgs>),
    });
    policies.set(slug(p.identity.replace(/^tag:/i, "")), policy);
}

for (const g of tenant.grants) {
    const policy = policies.get(slug(g.policy.replace(/^tag:/i, "")));
    new cp.PolicyGrant(`grant-${slug(g.policy)}`, {
        // Referencing the declared policy orders the grant after it.
        policyName: policy ? policy.identity : g.policy,
        users: g.users,
    });
}

export const tenantId = new pulumi.Config("clientpolicy").get("tenantId");
export const policyIdentities = [...policies.values()].map((p) => p.identity);

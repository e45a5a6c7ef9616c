/**
 * Logical resource names for config-repo items, shared by the `TenantPolicies` component and the TypeScript that
 * `clientpolicy convert` writes (no Pulumi SDK import, so the CLI stays light).
 */
import { createHash } from "node:crypto";
import { isIdentityError, parseGrantPolicyName, parsePolicyIdentity } from "../../api/identity";
import { ValidationError } from "../errors";

/**
 * The logical-name suffix of a policy (`global`, `site-redmond`, `tag-offlineim`) or, with `grant`, of a grant
 * (`grant-offlineim`). Throws {@link ValidationError} for an identity that is not valid.
 */
export function tenantItemName(identity: string, kind: "policy" | "grant"): string {
    const parsed = kind === "grant" ? parseGrantPolicyName(identity) : parsePolicyIdentity(identity);
    if (isIdentityError(parsed)) throw new ValidationError(`TenantPolicies: ${kind} ${JSON.stringify(identity)}: ${parsed.error}`);
    const readable = parsed.scope === "global" ? "global" : `${kind === "grant" ? "grant" : parsed.scope}-${parsed.name.toLowerCase()}`;
    if (/^[a-z0-9-]+$/.test(readable)) return readable;
    // Logical names are public API (they are in every stack's state): the hash input stays the lower-cased canonical
    // identity it has always been, whatever rule identities are compared by.
    const hash = createHash("sha256").update(parsed.canonical.toLowerCase()).digest("hex").slice(0, 8);
    const cleaned = readable.replace(/[^a-z0-9-]+/g, "-").replace(/-+$/, "");
    return `${cleaned}-${hash}`;
}

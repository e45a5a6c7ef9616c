/**
 * Reads a whole tenant for `clientpolicy export`: every client policy (Global, `site:`, `Tag:`; all pages) with its
 * settings in the provider's canonical resource form (camelCase properties, `hh:mm:ss` durations, `{ name, value }`
 * PolicyEntry items, unset settings left out), and every direct grant (the assignments of each tag policy, all pages),
 * users by SIP address. Read-only: GETs only. Calls go through the provider's own client (retries, tokens, typed errors).
 */
import { SETTINGS, camelName, validateSetting } from "../../api/catalogue";
import { OWNER_ANNOTATION, WirePolicy, WireUser } from "../../api/contract";
import { PolicyIdentity, isIdentityError, parsePolicyIdentity } from "../../api/identity";
import { TenantClient } from "../../provider/client/tenantClient";
import { toResourceValue } from "../../provider/settings";
import { CliError } from "../errors";

/** One policy as exported. */
export interface ExportedPolicy {
    readonly identity: PolicyIdentity;
    /** Settings by camelCase property, in catalogue order, canonical resource form; unset settings are absent. */
    readonly settings: Readonly<Record<string, unknown>>;
    /** The owner the tenant records for the policy (`project/stack@instance/resource`), or null: made by hand. */
    readonly owner: string | null;
}

/** The direct grants of one tag policy. */
export interface ExportedGrant {
    /** The tag policy, canonical (`Tag:OfflineIM`). */
    readonly policy: PolicyIdentity;
    /** SIP addresses (as the tenant reports them, `sip:` included), sorted. */
    readonly users: readonly string[];
    /** The owner of each user's assignment, in `users` order (null: granted by hand). */
    readonly owners: readonly (string | null)[];
}

/** Everything an export writes. */
export interface TenantSnapshot {
    readonly endpoint: string;
    readonly tenantId: string;
    /** When the read started. */
    readonly readAt: Date;
    /** Global first, then site, then tag policies, each by name. */
    readonly policies: readonly ExportedPolicy[];
    /** Only policies granted to at least one user, in policy order. */
    readonly grants: readonly ExportedGrant[];
    /** Whether grants were read (false: `grants` is empty because they were not asked for). */
    readonly grantsIncluded: boolean;
}

/** Progress callback: one human-readable line. */
export type Progress = (line: string) => void;

/** Options of {@link readTenant}. */
export interface ReadOptions {
    /** Read the direct grants too (default true). */
    readonly includeGrants?: boolean;
    readonly progress?: Progress;
    /** Tag policies whose assignments are read at the same time (default 4). */
    readonly concurrency?: number;
}

const SCOPE_ORDER = { global: 0, site: 1, tag: 2 } as const;

/** A wire policy's settings in canonical resource form; a value the catalogue rejects fails the export, naming it. */
export function exportSettings(policy: WirePolicy): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const def of SETTINGS) {
        const value = policy[def.name];
        if (value === undefined || value === null) continue;
        if (def.kind === "policyEntry" && Array.isArray(value) && value.length === 0) continue; // an empty list is unset
        const result = validateSetting(def, value, "wire");
        if (!result.ok) {
            throw new CliError(`policy ${policy.Identity}: the tenant reports ${def.name} in a form the provider does not accept ` +
                `(${result.message}); nothing was written`);
        }
        if (result.value !== null) out[camelName(def.name)] = toResourceValue(def, result.value);
    }
    return out;
}

/** An owner field as the tenant answers it: absent, null and "" all mean nobody recorded one. */
function ownerOf(value: unknown): string | null {
    return typeof value === "string" && value !== "" ? value : null;
}

/** Reads every policy and (unless disabled) every direct grant of the client's tenant. */
export async function readTenant(client: TenantClient, opts: ReadOptions = {}): Promise<TenantSnapshot> {
    const progress = opts.progress ?? (() => undefined);
    const readAt = new Date();
    const wire = await client.listPolicies();
    const policies: ExportedPolicy[] = [];
    for (const p of wire) {
        const identity = parsePolicyIdentity(p.Identity);
        if (isIdentityError(identity)) throw new CliError(`the tenant reports a policy identity the provider cannot declare: ${JSON.stringify(p.Identity)} (${identity.error})`);
        policies.push({ identity, settings: exportSettings(p), owner: ownerOf(p[OWNER_ANNOTATION]) });
    }
    policies.sort((a, b) => SCOPE_ORDER[a.identity.scope] - SCOPE_ORDER[b.identity.scope] || (a.identity.key < b.identity.key ? -1 : a.identity.key > b.identity.key ? 1 : 0));
    progress(`read ${policies.length} policies`);

    const grants: ExportedGrant[] = [];
    if (opts.includeGrants !== false) {
        const tags = policies.filter((p) => p.identity.scope === "tag");
        const found: Array<ExportedGrant | undefined> = new Array(tags.length);
        let done = 0;
        let users = 0;
        let lastReport = Date.now();
        let nextIndex = 0;
        const worker = async () => {
            for (let i = nextIndex++; i < tags.length; i = nextIndex++) {
                const assigned: WireUser[] = await client.listAssignments(tags[i].identity.canonical);
                if (assigned.length > 0) {
                    const sorted = [...assigned].sort((a, b) => (a.SipAddress < b.SipAddress ? -1 : a.SipAddress > b.SipAddress ? 1 : 0));
                    found[i] = { policy: tags[i].identity, users: sorted.map((u) => u.SipAddress), owners: sorted.map((u) => ownerOf(u.ClientPolicyOwner)) };
                    users += assigned.length;
                }
                done++;
                if (Date.now() - lastReport > 2000 || done === tags.length) {
                    lastReport = Date.now();
                    progress(`read the grants of ${done}/${tags.length} tag policies (${users} users so far)`);
                }
            }
        };
        await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 4, tags.length)) }, worker));
        for (const g of found) if (g) grants.push(g);
    }
    return { endpoint: client.endpoint, tenantId: client.tenantId, readAt, policies, grants, grantsIncluded: opts.includeGrants !== false };
}

/**
 * Test fixtures for onboarding (export, cmdlets): seeds a tenant over the tenant API with every setting kind
 * (booleans, enums, durations, integers, strings, PolicyEntry), site and tag policies and direct grants made "by hand"
 * (no owner), and dumps a tenant's policies and grants for byte comparison.
 */
import { BATCH_MAX_USERS, OWNER_ANNOTATION, Routes } from "../api/contract";
import { TestTenant } from "./emulator";
import { call, tenantClient } from "./tenantApi";

/** Global's settings in the rich seed: one of every kind. */
export const RICH_GLOBAL = {
    EnableIMAutoArchiving: false, DisplayPhoto: "PhotosFromADOnly", HotdeskingTimeout: "00:07:30", MaximumNumberOfContacts: 750,
    IMWarning: "Conversations are archived — it's policy (\"IM\" rules)", PolicyEntry: [{ Name: "EnableFeatureX", Value: "True" }, { Name: "Limit", Value: "5" }],
    TracingLevel: "Full", DGRefreshInterval: "02:00:00",
} as const;

async function ok(r: Promise<{ status: number; text: string }>, what: string, statuses = [200, 201, 202]): Promise<any> {
    const res = await r as { status: number; text: string; json?: unknown };
    if (!statuses.includes(res.status)) throw new Error(`${what}: ${res.status} ${res.text.slice(0, 300)}`);
    return res.json;
}

/** Creates (or, for Global, replaces) a policy from a wire body. */
export async function putPolicy(t: TestTenant, body: Record<string, unknown>): Promise<void> {
    const identity = String(body.Identity);
    if (identity === "Global") {
        const cur = await call(t, "GET", Routes.policy("Global"));
        await ok(call(t, "PUT", Routes.policy("Global"), { body, headers: { "if-match": cur.headers.get("etag")! } }), "PUT Global");
    } else {
        await ok(call(t, "PUT", Routes.policy(identity), { body, headers: { "if-none-match": "*" } }), `PUT ${identity}`);
    }
}

/** Grants `policyName` to `users` through the batch API (no owner: as an administrator would), waiting for completion. */
export async function batchGrant(t: TestTenant, policyName: string, users: readonly string[]): Promise<void> {
    for (let i = 0; i < users.length; i += BATCH_MAX_USERS) {
        const started = await ok(call(t, "POST", Routes.batchAssignments(), {
            body: { PolicyType: "ClientPolicy", PolicyName: policyName, Users: users.slice(i, i + BATCH_MAX_USERS) },
        }), "batch");
        for (;;) {
            const op = await ok(call(t, "GET", Routes.batchAssignment(started.OperationId)), "batch poll");
            if (op.Status === "Completed") {
                const failed = op.Results.filter((r: { Status: string }) => r.Status !== "Succeeded");
                if (failed.length > 0) throw new Error(`batch grant ${policyName}: ${failed.length} failed: ${JSON.stringify(failed[0])}`);
                break;
            }
            await new Promise((r) => setTimeout(r, 50));
        }
    }
}

/** SIP address of generated user `n` (1-based) of a tenant: `sip:user00001@<tenant>`. */
export function generatedUser(t: TestTenant, n: number): string {
    return `sip:user${String(n).padStart(5, "0")}@${t.tenantId}`;
}

/** Options of {@link seedRichTenant}. */
export interface RichSeed {
    /** Tag policies `Tag:Team 001`… besides the fixed ones. Default 3. */
    extraTags?: number;
    /** Generated users granted, spread over the tag policies. Default 60. */
    grantedUsers?: number;
}

/**
 * Seeds: Global with one setting of every kind; `site:Redmond` (durations, integers); `Tag:OfflineIM` (booleans, a
 * string with quotes); `Tag:Sales EU` (PolicyEntry, enum, a name with a space); `Tag:Empty` (no settings, no grants);
 * `extraTags` more; then `grantedUsers` generated users granted round-robin over the granted tag policies.
 */
export async function seedRichTenant(t: TestTenant, seed: RichSeed = {}): Promise<void> {
    await putPolicy(t, { Identity: "Global", ...RICH_GLOBAL });
    await putPolicy(t, { Identity: "site:Redmond", ConferenceIMIdleTimeout: "00:10:00", MaxPhotoSizeKB: 100, SearchPrefixFlags: 127, EnableURL: true });
    await putPolicy(t, { Identity: "Tag:OfflineIM", EnableIMAutoArchiving: false, Description: "No offline IM 'archiving'" });
    await putPolicy(t, {
        Identity: "Tag:Sales EU", P2PAppSharingEncryption: "Enforced", AddressBookAvailability: "WebSearchOnly",
        PolicyEntry: [{ Name: "Region", Value: "EU" }], WebServicePollInterval: "00:30:00", CustomStateUrl: "https://intranet.example/presence.xml",
    });
    await putPolicy(t, { Identity: "Tag:Empty" });
    const granted = ["OfflineIM", "Sales EU"];
    for (let i = 1; i <= (seed.extraTags ?? 3); i++) {
        const name = `Team ${String(i).padStart(3, "0")}`;
        await putPolicy(t, { Identity: `Tag:${name}`, RateMyCallDisplayPercentage: i % 101, EnableSkypeUI: i % 2 === 0 });
        granted.push(name);
    }
    const byPolicy = new Map<string, string[]>(granted.map((g) => [g, []]));
    for (let n = 1; n <= (seed.grantedUsers ?? 60); n++) byPolicy.get(granted[(n - 1) % granted.length])!.push(generatedUser(t, n));
    for (const [policy, users] of byPolicy) if (users.length > 0) await batchGrant(t, policy, users);
}

/** A tenant's policies and direct grants, for comparison. */
export interface TenantDump {
    /** Each policy's wire body (every setting, null when unset), by identity; without the owner when `withOwners` is false. */
    policies: Record<string, Record<string, unknown>>;
    /** `policy → user id → owner` for every direct grant (owner null when none); without owners: `policy → user ids`. */
    grants: Record<string, unknown>;
}

/** Dumps every policy and every direct grant. `withOwners: false` leaves out the owner annotations (what adopt changes). */
export async function dumpTenant(t: TestTenant, opts: { withOwners: boolean }): Promise<TenantDump> {
    const policies: TenantDump["policies"] = {};
    const grants: TenantDump["grants"] = {};
    for (const p of (await tenantClient(t).listPolicies()).sort((a, b) => (a.Identity < b.Identity ? -1 : 1))) {
        const body = { ...p };
        if (!opts.withOwners) delete body[OWNER_ANNOTATION];
        policies[p.Identity] = body;
        if (!String(p.Identity).startsWith("Tag:")) continue;
        const users = (await tenantClient(t).listAssignments(p.Identity)).sort((a, b) => (a.Id < b.Id ? -1 : 1));
        if (users.length === 0) continue;
        grants[p.Identity] = opts.withOwners ? Object.fromEntries(users.map((u) => [u.Id, u.ClientPolicyOwner ?? null])) : users.map((u) => u.Id);
    }
    return { policies, grants };
}

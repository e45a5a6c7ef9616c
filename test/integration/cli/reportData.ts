/**
 * Generated report data for the `clientpolicy report` tests: tenants with known changes, shaped as the runner
 * produces them (cli/report/run.ts), and engine events shaped as the pinned CLI v3.274.1 streams them.
 */
import type { Change, TenantReport } from "../../../api/report";

const CP = "pulumi-nodejs:dynamic/clientpolicy:ClientPolicy";
const PG = "pulumi-nodejs:dynamic/clientpolicy:PolicyGrant";

export function urn(stack: string, type: string, name: string): string {
    return `urn:pulumi:${stack}::fleet::${type}::${name}`;
}

/** A Global drift of enableIMAutoArchiving false → true. */
export function globalDrift(stack: string, after: unknown = true): Change {
    return {
        kind: "drift", op: "update", urn: urn(stack, CP, "global"), type: "ClientPolicy", name: "global", identity: "Global",
        properties: [{ path: "enableIMAutoArchiving", before: false, after, kind: "drift" }],
    };
}

/** A pending description change of Tag:OfflineIM. */
export function tagPending(stack: string, users = 2): Change {
    return {
        kind: "pending", op: "update", urn: urn(stack, CP, "offline-im"), type: "ClientPolicy", name: "offline-im", identity: "Tag:OfflineIM",
        properties: [{ path: "description", before: "No offline IM archiving", after: "Offline IM off", kind: "pending" }],
        impact: { scope: "tag", users, text: `${users} users whose effective settings change` },
    };
}

/** A pending delete of a grant. */
export function grantDelete(stack: string): Change {
    return { kind: "pending", op: "delete", urn: urn(stack, PG, "offline-users"), type: "PolicyGrant", name: "offline-users", identity: "Tag:OfflineIM", properties: [] };
}

export function tenant(stack: string, changes: Change[], extra: Partial<TenantReport> = {}): TenantReport {
    return { stack, status: changes.length ? "changed" : "clean", durationMs: 1000, changes, suppressed: [], ...extra };
}

/**
 * A fleet of `n` tenants `tenant-001`…: every one has the same Global drift; every third also a pending tag change;
 * every fifth a unique drift of `maximumNumberOfContacts` (different value per tenant); every seventh an error.
 */
export function generatedFleet(n: number): TenantReport[] {
    const out: TenantReport[] = [];
    for (let i = 1; i <= n; i++) {
        const stack = `tenant-${String(i).padStart(3, "0")}`;
        if (i % 7 === 0) {
            out.push(tenant(stack, [], { status: "error", error: { kind: "unreachable", message: `fetch failed: connect ECONNREFUSED 10.0.0.${i}:443` } }));
            continue;
        }
        const changes = [globalDrift(stack)];
        if (i % 3 === 0) changes.push(tagPending(stack, i));
        if (i % 5 === 0) {
            changes.push({
                kind: "drift", op: "update", urn: urn(stack, CP, "contacts"), type: "ClientPolicy", name: "contacts", identity: "Tag:Contacts",
                properties: [{ path: "maximumNumberOfContacts", before: 250, after: 250 + i, kind: "drift" },
                    { path: "description", before: "Contact limit for the help desk team of this tenant", after: `Changed by hand on ticket ${i} by an administrator`, kind: "drift" }],
            });
        }
        out.push(tenant(stack, changes));
    }
    return out;
}

/** Refresh events (`resOutputsEvent`) as the CLI streams them for one drifted policy, one unchanged, one deleted. */
export function refreshEvents(stack: string): unknown[] {
    const provider = "exports.handler = __f0;";
    const state = (inputs: Record<string, unknown>, etag: string) => ({
        type: CP, urn: urn(stack, CP, "global"), id: "Global",
        inputs: { __provider: provider, ...inputs }, outputs: { __provider: provider, ...inputs, etag, policyName: "Global", tenantOwner: "x/y/global" },
    });
    return [
        { resourcePreEvent: { metadata: { op: "refresh", urn: urn(stack, CP, "global"), type: CP } } },
        { resOutputsEvent: { metadata: { op: "same", urn: urn(stack, "pulumi:pulumi:Stack", "fleet-" + stack), type: "pulumi:pulumi:Stack" } } },
        { resOutputsEvent: { metadata: {
            op: "update", urn: urn(stack, CP, "global"), type: CP,
            old: state({ identity: "Global", enableIMAutoArchiving: false, owner: "x/y/global" }, "\"a\""),
            new: state({ identity: "Global", enableIMAutoArchiving: true, owner: "x/y/global" }, "\"b\""),
        } } },
        { resOutputsEvent: { metadata: {
            op: "update", urn: urn(stack, CP, "etag-only"), type: CP,
            old: state({ identity: "Tag:Same", enableIMAutoArchiving: false }, "\"a\""),
            new: state({ identity: "Tag:Same", enableIMAutoArchiving: false }, "\"c\""),
        } } },
        { resOutputsEvent: { metadata: {
            op: "delete", urn: urn(stack, CP, "offline-im"), type: CP,
            old: { inputs: { identity: "Tag:OfflineIM" }, outputs: { identity: "Tag:OfflineIM" } },
        } } },
        { summaryEvent: { resourceChanges: { same: 1, update: 2, delete: 1 } } },
    ];
}

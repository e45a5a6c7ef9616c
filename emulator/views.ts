/**
 * Wire views (handler layer): how the HTTP routes and the PowerShell endpoint render domain records, in the shapes of
 * the wire contract (api/contract.ts).
 */
import { SETTINGS } from "../api/catalogue";
import { OWNER_ANNOTATION, type BatchOperationView, type WirePolicy, type WireSite, type WireUser } from "../api/contract";
import type { BatchOperation, PolicyRecord, SiteRecord, UserRecord } from "./store";

/**
 * Every key of a policy view in wire order, all null: built by JSON.parse so it has a fixed shape, which makes the
 * per-view spread copy below a fast clone rather than 94 keyed stores.
 */
const EMPTY_VIEW: Readonly<Record<string, null>> = JSON.parse(JSON.stringify(Object.fromEntries(["Identity", OWNER_ANNOTATION, ...SETTINGS.map((d) => d.name)].map((k) => [k, null]))));

/** The last view rendered per record, valid while the record's ETag is the one it was rendered at. */
const renderedViews = new WeakMap<PolicyRecord, { etag: string; view: WirePolicy }>();

/**
 * A policy: `Identity`, its `@owner` (null when none), then every setting (null when unset). Frozen and shared: one
 * object per record version (every change to a record gives it a new ETag), so repeated reads neither rebuild it nor,
 * in server/http.ts `send`, re-serialize it.
 */
export function policyView(rec: PolicyRecord): WirePolicy {
    const cached = renderedViews.get(rec);
    if (cached && cached.etag === rec.etag) return cached.view;
    const view: Record<string, unknown> = { ...EMPTY_VIEW };
    view.Identity = rec.identity;
    view[OWNER_ANNOTATION] = rec.owner;
    // A record holds only set settings, each under its catalogue name.
    for (const [name, value] of Object.entries(rec.settings)) if (value !== null && Object.hasOwn(EMPTY_VIEW, name)) view[name] = value;
    Object.freeze(view);
    renderedViews.set(rec, { etag: rec.etag, view: view as WirePolicy });
    return view as WirePolicy;
}


/** A user with its direct assignment and the assignment's owner. */
export function userView(u: UserRecord): WireUser {
    return {
        Id: u.id, SipAddress: u.sipAddress, UserPrincipalName: u.userPrincipalName, DisplayName: u.displayName,
        ClientPolicy: u.clientPolicy, ClientPolicyOwner: u.clientPolicyOwner, RegistrarPool: u.registrarPool, Site: u.site,
    };
}

/** A batch operation's status and per-user results. */
export function batchView(op: BatchOperation): BatchOperationView {
    return {
        OperationId: op.id, PolicyType: op.policyType, PolicyName: op.policyName, Status: op.status,
        CreatedDateTime: op.createdDateTime, Results: op.results,
    };
}

/** A site as Get-CsSite names it, with its pools. */
export function siteView(site: SiteRecord): WireSite {
    return { Identity: `Site:${site.name}`, Pools: [...site.pools] };
}

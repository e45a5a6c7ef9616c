/**
 * Wire views (handler layer): how the HTTP routes and the PowerShell endpoint render domain records, in the shapes of
 * the wire contract (api/contract.ts).
 */
import { SETTINGS } from "../api/catalogue";
import { OWNER_ANNOTATION, type BatchOperationView, type WirePolicy, type WireUser } from "../api/contract";
import type { BatchOperation, PolicyRecord, UserRecord } from "./store";

/** A policy: `Identity`, its `@owner` (null when none), then every setting (null when unset). */
export function policyView(rec: PolicyRecord): WirePolicy {
    const view: Record<string, unknown> = { Identity: rec.identity, [OWNER_ANNOTATION]: rec.owner };
    for (const def of SETTINGS) view[def.name] = rec.settings[def.name] ?? null;
    return view as WirePolicy;
}

/** A user with its direct assignment and the assignment's owner. */
export function userView(u: UserRecord): WireUser {
    return {
        Id: u.id, SipAddress: u.sipAddress, UserPrincipalName: u.userPrincipalName, DisplayName: u.displayName,
        ClientPolicy: u.clientPolicy, ClientPolicyOwner: u.clientPolicyOwner,
    };
}

/** A batch operation's status and per-user results. */
export function batchView(op: BatchOperation): BatchOperationView {
    return {
        OperationId: op.id, PolicyType: op.policyType, PolicyName: op.policyName, Status: op.status,
        CreatedDateTime: op.createdDateTime, Results: op.results,
    };
}

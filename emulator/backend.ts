/**
 * The emulator's {@link TenantBackend}: the API layer's operations mapped onto the in-memory domain model
 * (emulator/tenant.ts), rendered through emulator/views.ts. The tenant's own ETag (random per version) is answered.
 */
import type { BatchOperationView, ResolveResult, WirePolicy, WireSite, WireUser } from "../api/contract";
import type { PolicyState, TenantBackend } from "../server/backend";
import type { BatchReplayKey } from "../server/batch";
import { ApiError, Errors } from "../server/errors";
import type { PolicyRecord } from "./store";
import { Tenant } from "./tenant";
import { batchView, policyView, siteView, userView } from "./views";

function state(rec: PolicyRecord): PolicyState {
    return { policy: policyView(rec), etag: rec.etag };
}

/** One identity of a resolution: the user, or the error a single `GET /users/{identity}` would answer. */
function resolution(t: Tenant, identity: string): ResolveResult {
    try {
        const found = t.findUsers(identity);
        if (found.length === 1) return { Identity: identity, User: userView(found[0]) };
        if (found.length === 0) {
            const e = Errors.userNotFound(identity);
            return { Identity: identity, Error: { code: e.code, message: e.message } };
        }
        const e = Errors.ambiguousIdentity(identity, found);
        return { Identity: identity, Error: { code: e.code, message: e.message, matches: found.map((u) => u.sipAddress) } };
    } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        return { Identity: identity, Error: { code: e.code, message: e.message } };
    }
}

/** Adapts an emulator {@link Tenant} to the API layer. */
export class EmulatorBackend implements TenantBackend {
    constructor(readonly tenant: Tenant) {}

    get id(): string {
        return this.tenant.id;
    }

    async listPolicies(): Promise<WirePolicy[]> {
        return (await this.tenant.listPolicies()).map(policyView);
    }

    async getPolicy(identity: string): Promise<PolicyState> {
        return state(await this.tenant.getPolicy(identity));
    }

    async createPolicy(identity: string, body: unknown): Promise<PolicyState> {
        return state(await this.tenant.createPolicy(identity, body));
    }

    async updatePolicy(identity: string, body: unknown, mode: "replace" | "patch", ifMatch?: string): Promise<PolicyState> {
        return state(await this.tenant.updatePolicy(identity, body, mode, ifMatch));
    }

    async removePolicy(identity: string, force: boolean, ifMatch?: string): Promise<PolicyState | undefined> {
        const reset = await this.tenant.removePolicy(identity, force, ifMatch);
        return reset ? state(reset) : undefined;
    }

    async assignedUsers(identity: string): Promise<WireUser[]> {
        await this.tenant.getPolicy(identity);
        return (await this.tenant.assignedUsers(Tenant.parseIdentity(identity))).map(userView);
    }

    async getUser(identity: string): Promise<WireUser> {
        return userView(await this.tenant.resolveUser(identity));
    }

    async resolveUsers(identities: string[]): Promise<ResolveResult[]> {
        return identities.map((id) => resolution(this.tenant, id));
    }

    async grant(userIdentity: string, policyName: unknown, owner: string | null): Promise<WireUser> {
        return userView(await this.tenant.grant(userIdentity, policyName, owner));
    }

    async startBatch(policyName: unknown, users: string[], owner: string | null, replay?: BatchReplayKey): Promise<string> {
        return (await this.tenant.startBatch(policyName, users, owner, replay)).id;
    }

    async getBatch(id: string): Promise<BatchOperationView> {
        return batchView(await this.tenant.getBatch(id));
    }

    async listUsers(): Promise<WireUser[]> {
        return this.tenant.state.users.map(userView);
    }

    async listSites(): Promise<WireSite[]> {
        return this.tenant.state.sites.map(siteView);
    }
}

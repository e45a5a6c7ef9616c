/**
 * The tenant domain service: every rule of the tenant API, once, over a {@link TenantDirectory} (server/directory.ts)
 * that only stores. The rules:
 *
 * - identities: policy identities parsed (and 400 naming the field) and user identities checked by the one rule of
 *   api/identity.ts before anything is looked up (server/policyBody.ts);
 * - policy bodies validated against the catalogue before anything is read or written, so a refused request changes
 *   nothing; a change-free request writes nothing and keeps the ETag;
 * - `If-Match` compared with the current version's ETag (412 on mismatch) under a lock per policy, so a check and its
 *   write cannot interleave with another write of that policy;
 * - owners: a create records the body's `@owner` (absent: none); a replace records it when given and keeps it when
 *   absent; a merge patch (Set-CsClientPolicy) never changes it; a removal clears it; an assignment's owner is recorded
 *   with the grant and cleared by an unassignment;
 * - the grant target: a grant's `PolicyName` names an existing tag policy (400 for Global or a site, 404 when absent),
 *   and the assignment takes the stored spelling of its name; null unassigns;
 * - a tag policy in use is removed only with `force`, which unassigns its users first;
 * - batches: server/batch.ts ({@link BatchEngine}, replay by `OperationId`).
 */
import { SETTINGS, type WireValue } from "../api/catalogue";
import { OWNER_ANNOTATION, type BatchOperationView, type ResolveResult, type WirePolicy, type WireSite, type WireUser } from "../api/contract";
import { isDeepStrictEqual } from "node:util";
import type { PolicyIdentity } from "../api/identity";
import { foldIdentity } from "../api/identity";
import type { PolicyState, TenantBackend } from "./backend";
import { BatchEngine, isAssignedTo, type BatchReplayKey } from "./batch";
import type { DirectoryPolicy, TenantDirectory } from "./directory";
import { ApiError, Errors } from "./errors";
import { KeyedLock } from "./keyedLock";
import { checkIfMatch, checkUserIdentity, parseIdentityOrFail, validatePolicyBody } from "./policyBody";
import { policyView } from "./views";

function state(p: DirectoryPolicy): PolicyState {
    return { policy: policyView(p), etag: p.etag };
}

/** The user list of an ambiguity error. */
function matches(found: readonly WireUser[]): Array<{ id: string; sipAddress: string; displayName: string }> {
    return found.map((u) => ({ id: u.Id, sipAddress: u.SipAddress, displayName: u.DisplayName }));
}

/** One tenant's API: the {@link TenantBackend} the routes call, for any directory. */
export class TenantService implements TenantBackend {
    /** The tenant's batch assignments. */
    readonly batches: BatchEngine;
    /** Every user; present when the directory can list them. */
    readonly listUsers?: () => Promise<WireUser[]>;
    /** The topology's sites; present when the directory knows them. */
    readonly listSites?: () => Promise<WireSite[]>;
    private readonly locks = new KeyedLock();

    constructor(readonly directory: TenantDirectory) {
        this.batches = new BatchEngine(directory, { grantTarget: (p) => this.grantTarget(p), lookUp: (ids) => this.lookUp(ids) });
        if (directory.listUsers) this.listUsers = () => directory.listUsers!();
        if (directory.listSites) this.listSites = () => directory.listSites!();
    }

    get id(): string {
        return this.directory.id;
    }

    // ------------------------------------------------------------------ policies

    async listPolicies(): Promise<WirePolicy[]> {
        return (await this.directory.listPolicies()).map(policyView);
    }

    private async existing(id: PolicyIdentity): Promise<DirectoryPolicy> {
        const p = await this.directory.readPolicy(id);
        if (!p) throw Errors.policyNotFound(id.canonical);
        return p;
    }

    async getPolicy(identity: string): Promise<PolicyState> {
        return state(await this.existing(parseIdentityOrFail(identity)));
    }

    /** Runs `fn` under the lock of one policy. */
    private underPolicyLock<T>(id: PolicyIdentity, fn: () => Promise<T>): Promise<T> {
        return this.locks.run(`policy\n${id.key}`, fn);
    }

    async createPolicy(identity: string, body: unknown): Promise<PolicyState> {
        const id = parseIdentityOrFail(identity);
        const changes = validatePolicyBody(body, id);
        return this.underPolicyLock(id, async () => {
            if (await this.directory.readPolicy(id)) throw Errors.policyAlreadyExists(id.canonical);
            const settings = Object.fromEntries(Object.entries(changes.settings).filter(([, v]) => v !== null));
            return state(await this.directory.writePolicy(id, { create: true, settings, owner: changes.owner ?? null }));
        });
    }

    async updatePolicy(identity: string, body: unknown, mode: "replace" | "patch", ifMatch?: string): Promise<PolicyState> {
        const id = parseIdentityOrFail(identity);
        const changes = validatePolicyBody(body, id);
        return this.underPolicyLock(id, async () => {
            const cur = await this.existing(id);
            checkIfMatch(cur.etag, ifMatch, cur.identity);
            if (mode === "patch" && changes.owner !== undefined && changes.owner !== cur.owner) {
                throw Errors.invalidParameter(OWNER_ANNOTATION, `${OWNER_ANNOTATION} cannot be changed by a merge patch (Set-CsClientPolicy); replace the policy with PUT and If-Match.`);
            }
            // Replace unsets what the body omits; patch changes only what it names.
            const desired: Record<string, WireValue | null> = { ...changes.settings };
            if (mode === "replace") for (const def of SETTINGS) if (!(def.name in desired)) desired[def.name] = null;
            const toSet: Record<string, WireValue | null> = {};
            for (const [k, v] of Object.entries(desired)) if (!isDeepStrictEqual(cur.settings[k] ?? null, v)) toSet[k] = v;
            const owner = changes.owner === undefined ? cur.owner : changes.owner;
            if (Object.keys(toSet).length === 0 && owner === cur.owner) return state(cur);
            return state(await this.directory.writePolicy(id, { create: false, settings: toSet, owner }));
        });
    }

    async removePolicy(identity: string, force: boolean, ifMatch?: string): Promise<PolicyState | undefined> {
        const id = parseIdentityOrFail(identity);
        return this.underPolicyLock(id, async () => {
            const cur = await this.existing(id);
            checkIfMatch(cur.etag, ifMatch, cur.identity);
            if (id.scope === "tag") {
                const users = await this.directory.usersWithPolicy(cur.identity);
                if (users.length > 0 && !force) throw Errors.policyInUse(id.canonical, users.length);
                const failed = (await this.directory.setAssignments(users.map((user) => ({ user, policy: null, owner: null })))).find((r) => r instanceof ApiError);
                if (failed) throw failed;
            }
            const reset = await this.directory.deletePolicy(id, cur);
            return reset && state(reset);
        });
    }

    async assignedUsers(identity: string): Promise<WireUser[]> {
        const id = parseIdentityOrFail(identity);
        const cur = await this.existing(id);
        return id.scope === "tag" ? this.directory.usersWithPolicy(cur.identity) : [];
    }

    // ------------------------------------------------------------------ users

    /** Per identity, every user it names, or the error that answers it (a refused identity, a failed look-up). */
    private async find(identities: readonly string[]): Promise<Array<WireUser[] | ApiError>> {
        const out: Array<WireUser[] | ApiError> = new Array(identities.length);
        const asked: string[] = [];
        const at: number[] = [];
        identities.forEach((identity, i) => {
            try {
                asked.push(checkUserIdentity(identity).trim());
                at.push(i);
            } catch (e) {
                if (!(e instanceof ApiError)) throw e;
                out[i] = e;
            }
        });
        const found = asked.length > 0 ? await this.directory.findUsers(asked) : [];
        found.forEach((r, k) => (out[at[k]] = r));
        return out;
    }

    /** The one user `found` holds for `identity`, else 404 `UserNotFound` or 409 `AmbiguousIdentity`. */
    private static one(identity: string, found: WireUser[] | ApiError): WireUser | ApiError {
        if (found instanceof ApiError) return found;
        if (found.length === 1) return found[0];
        return found.length === 0 ? Errors.userNotFound(identity) : Errors.ambiguousIdentity(identity, matches(found));
    }

    /** Per identity, the one user it names or the error a single look-up answers. */
    private async lookUp(identities: readonly string[]): Promise<Array<WireUser | ApiError>> {
        return (await this.find(identities)).map((found, i) => TenantService.one(identities[i], found));
    }

    async getUser(identity: string): Promise<WireUser> {
        const [user] = await this.lookUp([identity]);
        if (user instanceof ApiError) throw user;
        return user;
    }

    async resolveUsers(identities: string[]): Promise<ResolveResult[]> {
        return (await this.find(identities)).map((found, i): ResolveResult => {
            const identity = identities[i];
            const user = TenantService.one(identity, found);
            if (!(user instanceof ApiError)) return { Identity: identity, User: user };
            const error = { code: user.code, message: user.message };
            return { Identity: identity, Error: Array.isArray(found) && found.length > 1 ? { ...error, matches: found.map((u) => u.SipAddress) } : error };
        });
    }

    // ------------------------------------------------------------------ grants

    /** A grant's PolicyName as the stored tag policy's name (without `Tag:`), or null to unassign. */
    async grantTarget(policyName: unknown): Promise<string | null> {
        if (policyName === null) return null;
        if (typeof policyName !== "string") {
            throw Errors.invalidParameter("PolicyName", `PolicyName must be a string naming a tag policy or null, got ${JSON.stringify(policyName)}.`);
        }
        const id = parseIdentityOrFail(policyName, "PolicyName");
        if (id.scope !== "tag") throw Errors.notAUserPolicy(id.canonical);
        const p = await this.directory.readPolicy(id);
        if (!p) throw Errors.policyNotFound(id.canonical, "PolicyName");
        return parseIdentityOrFail(p.identity).name;
    }

    /** Grant-CsClientPolicy for one user; writes only when the assignment or its owner changes. */
    async grant(userIdentity: string, policyName: unknown, owner: string | null): Promise<WireUser> {
        const target = await this.grantTarget(policyName);
        const found = await this.getUser(userIdentity);
        return this.locks.run(`user\n${foldIdentity(found.Id)}`, async () => {
            // Read again under the lock: another request may have granted this user meanwhile.
            const user = await this.getUser(found.SipAddress);
            const nextOwner = target === null ? null : owner;
            if (isAssignedTo(user, target) && user.ClientPolicyOwner === nextOwner) return user;
            const [done] = await this.directory.setAssignments([{ user, policy: target, owner: nextOwner }], true);
            if (done instanceof ApiError) throw done;
            return done;
        });
    }

    // ------------------------------------------------------------------ batch assignments

    async startBatch(policyName: unknown, users: string[], owner: string | null, replay?: BatchReplayKey): Promise<string> {
        return this.batches.start(policyName, users, owner, replay);
    }

    async getBatch(id: string): Promise<BatchOperationView> {
        return this.batches.view(id);
    }
}

/**
 * Tenant domain logic shared by the HTTP handlers and the PowerShell endpoint:
 * policies, the user directory, grants and batch assignments. Every method
 * validates fully before mutating, so a rejected request changes nothing;
 * mutating methods resolve only once the change is durable.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { SETTINGS, SETTINGS_BY_NAME, documentedDefaults, validateSetting, type WireValue } from "../api/catalogue";
import { isIdentityError, parsePolicyIdentity, type PolicyIdentity } from "../api/identity";
import { ApiError, Errors, type ErrorDetail } from "./errors";
import { GroupCommitter, type BatchOperation, type BatchResult, type PolicyRecord, type TenantState, type TenantStore, type UserRecord } from "./store";

/** The wire form of a policy: Identity then every setting (null when unset). */
export type PolicyView = Record<string, WireValue | null> & { Identity: string };

/** The wire form of a user. */
export interface UserView {
    Id: string;
    SipAddress: string;
    UserPrincipalName: string;
    DisplayName: string;
    ClientPolicy: string | null;
}

/** Wire form of a batch operation. */
export interface BatchView {
    OperationId: string;
    PolicyType: string;
    PolicyName: string | null;
    Status: BatchOperation["status"];
    CreatedDateTime: string;
    Results: BatchResult[];
}

/** Most users one batch may name (as the real service). */
export const BATCH_MAX_USERS = 5000;
/** Users processed between two durable saves: big batches are observable as InProgress. */
const BATCH_CHUNK = 500;
/** Finished batch operations kept for polling; older ones are dropped to bound the file. */
const BATCH_HISTORY = 20;

/** Per-tenant counters for `/_emulator/{tenant}/stats`; in memory only. */
export interface TenantStats {
    requests: number;
    writes: number;
}

function newEtag(): string {
    return `"${randomBytes(8).toString("hex")}"`;
}

/** A single-tenant view over the persisted state with in-memory lookup indexes. */
export class Tenant {
    readonly stats: TenantStats = { requests: 0, writes: 0 };
    private readonly committer: GroupCommitter;
    private byId = new Map<string, UserRecord>();
    private byKey = new Map<string, UserRecord>();
    private byDisplay = new Map<string, UserRecord[]>();
    private batchLoop?: Promise<void>;
    private stopping = false;

    constructor(readonly state: TenantState, private readonly store: TenantStore) {
        this.committer = new GroupCommitter(() => this.store.write(this.state.id, JSON.stringify(this.state)));
        for (const u of state.users) this.index(u);
    }

    /** Builds a new tenant's state with Global at its documented defaults. */
    static initialState(id: string): TenantState {
        return {
            version: 1, id, apps: [], users: [], operations: [],
            policies: { global: { identity: "Global", etag: newEtag(), settings: documentedDefaults() } },
        };
    }

    /** Tenant id as provisioned. */
    get id(): string {
        return this.state.id;
    }

    // ------------------------------------------------------------------ persistence

    /** Makes every change so far durable; `countsAsWrite` feeds the stats. */
    async commit(countsAsWrite = true): Promise<void> {
        if (countsAsWrite) this.stats.writes++;
        await this.committer.flush();
    }

    /** Stops batch processing after the current chunk and waits for pending saves. */
    async close(): Promise<void> {
        this.stopping = true;
        await this.batchLoop;
        await this.committer.idle();
    }

    // ------------------------------------------------------------------ users

    private index(u: UserRecord): void {
        this.byId.set(u.id.toLowerCase(), u);
        for (const k of [u.sipAddress, u.userPrincipalName, u.logon]) if (k) this.byKey.set(k.toLowerCase(), u);
        const d = u.displayName.toLowerCase();
        const list = this.byDisplay.get(d);
        if (list) list.push(u);
        else this.byDisplay.set(d, [u]);
    }

    /** Adds users (provisioning); ids are generated when absent. */
    addUsers(users: Array<Omit<UserRecord, "id" | "clientPolicy"> & { id?: string }>): void {
        for (const u of users) {
            const rec: UserRecord = { ...u, id: u.id ?? randomUUID(), clientPolicy: null };
            this.state.users.push(rec);
            this.index(rec);
        }
    }

    /**
     * Resolves any documented user identity form (object id, SIP address, UPN,
     * DOMAIN\logon, display name), case-insensitively.
     */
    resolveUser(identity: string): UserRecord {
        const text = identity.trim().toLowerCase();
        if (text.includes("*")) {
            throw Errors.invalidParameter("Identity", `Wildcards are not supported in user identities, got "${identity}".`);
        }
        const direct = this.byId.get(text) ?? this.byKey.get(text) ?? (text.includes("@") && !text.startsWith("sip:") ? this.byKey.get(`sip:${text}`) : undefined);
        if (direct) return direct;
        const named = this.byDisplay.get(text) ?? [];
        if (named.length === 1) return named[0];
        if (named.length > 1) throw Errors.ambiguousIdentity(identity, named.map((u) => this.userView(u)));
        throw Errors.userNotFound(identity);
    }

    /** Wire form of a user. */
    userView(u: UserRecord): UserView {
        return { Id: u.id, SipAddress: u.sipAddress, UserPrincipalName: u.userPrincipalName, DisplayName: u.displayName, ClientPolicy: u.clientPolicy };
    }

    // ------------------------------------------------------------------ policies

    /** Parses a policy identity or answers 400 naming `target`. */
    static parseIdentity(text: string, target = "Identity"): PolicyIdentity {
        const id = parsePolicyIdentity(text);
        if (isIdentityError(id)) throw Errors.invalidParameter(target, `${target} ${id.error}`);
        return id;
    }

    /** All policies in listing order. */
    listPolicies(): PolicyRecord[] {
        return Object.values(this.state.policies);
    }

    /** A policy by identity, or 404. */
    getPolicy(identity: string): PolicyRecord {
        const id = Tenant.parseIdentity(identity);
        const rec = this.state.policies[id.key];
        if (!rec) throw Errors.policyNotFound(id.canonical);
        return rec;
    }

    /** Wire form of a policy. */
    policyView(rec: PolicyRecord): PolicyView {
        const view = { Identity: rec.identity } as PolicyView;
        for (const def of SETTINGS) view[def.name] = rec.settings[def.name] ?? null;
        return view;
    }

    /**
     * Validates a wire body (settings plus optional Identity). Returns the
     * settings to apply, `null` meaning "unset". Every failure is reported in
     * `details`; the first one is the error's target.
     */
    static validateBody(body: unknown, identity: PolicyIdentity): Record<string, WireValue | null> {
        if (body === null || typeof body !== "object" || Array.isArray(body)) {
            throw Errors.invalidRequestContent("The body must be a JSON object of policy settings.");
        }
        const out: Record<string, WireValue | null> = {};
        const failures: ErrorDetail[] = [];
        for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
            if (key === "Identity") {
                const given = typeof value === "string" ? parsePolicyIdentity(value) : undefined;
                if (!given || isIdentityError(given) || given.key !== identity.key) {
                    failures.push({ code: "InvalidParameter", target: "Identity", message: `Identity in the body must match the URL ("${identity.canonical}"), got ${JSON.stringify(value)}.` });
                }
                continue;
            }
            const def = SETTINGS_BY_NAME.get(key);
            if (!def) {
                const near = SETTINGS.find((d) => d.name.toLowerCase() === key.toLowerCase());
                failures.push({ code: "InvalidParameter", target: key, message: `${key} is not a ClientPolicy setting${near ? `; did you mean ${near.name}? (names are case-sensitive)` : ""}.` });
                continue;
            }
            const result = validateSetting(def, value, "wire");
            if (result.ok) out[key] = result.value;
            else failures.push({ code: "InvalidParameter", target: key, message: `${key} ${result.message}.` });
        }
        if (failures.length > 0) throw Errors.invalidParameter(failures[0].target!, failures[0].message, failures);
        return out;
    }

    private static checkEtag(rec: PolicyRecord, ifMatch: string | undefined): void {
        if (ifMatch === undefined) return;
        const tags = ifMatch.split(",").map((t) => t.trim().replace(/^W\//, ""));
        if (!tags.includes("*") && !tags.includes(rec.etag)) throw Errors.preconditionFailed(rec.identity);
    }

    private static apply(settings: Record<string, WireValue>, changes: Record<string, WireValue | null>): boolean {
        let changed = false;
        for (const [k, v] of Object.entries(changes)) {
            if (JSON.stringify(settings[k] ?? null) === JSON.stringify(v)) continue;
            changed = true;
            if (v === null) delete settings[k];
            else settings[k] = v;
        }
        return changed;
    }

    /** New-CsClientPolicy. */
    async createPolicy(identity: string, body: unknown): Promise<PolicyRecord> {
        const id = Tenant.parseIdentity(identity);
        const changes = Tenant.validateBody(body, id);
        if (this.state.policies[id.key]) throw Errors.policyAlreadyExists(id.canonical);
        const settings: Record<string, WireValue> = {};
        Tenant.apply(settings, changes);
        const rec: PolicyRecord = { identity: id.canonical, etag: newEtag(), settings };
        this.state.policies[id.key] = rec;
        await this.commit();
        return rec;
    }

    /**
     * Replace (`mode: "replace"`, settings absent from the body become unset)
     * or merge-patch / Set-CsClientPolicy (`"patch"`). A change-free request
     * keeps the ETag and writes nothing.
     */
    async updatePolicy(identity: string, body: unknown, mode: "replace" | "patch", ifMatch?: string): Promise<PolicyRecord> {
        const id = Tenant.parseIdentity(identity);
        const changes = Tenant.validateBody(body, id);
        const rec = this.getPolicy(identity);
        Tenant.checkEtag(rec, ifMatch);
        if (mode === "replace") for (const def of SETTINGS) if (!(def.name in changes)) changes[def.name] = null;
        const next = { ...rec.settings };
        if (!Tenant.apply(next, changes)) return rec;
        rec.settings = next;
        rec.etag = newEtag();
        await this.commit();
        return rec;
    }

    /** Remove-CsClientPolicy. Global is reset to defaults (returns the reset record); others are removed (returns undefined). */
    async removePolicy(identity: string, force: boolean, ifMatch?: string): Promise<PolicyRecord | undefined> {
        const rec = this.getPolicy(identity);
        Tenant.checkEtag(rec, ifMatch);
        const id = Tenant.parseIdentity(identity);
        if (id.scope === "global") {
            rec.settings = documentedDefaults();
            rec.etag = newEtag();
            await this.commit();
            return rec;
        }
        const granted = this.assignedUsers(id);
        if (granted.length > 0 && !force) throw Errors.policyInUse(id.canonical, granted.length);
        for (const u of granted) u.clientPolicy = null;
        delete this.state.policies[id.key];
        await this.commit();
        return undefined;
    }

    /** Users directly granted a (tag) policy. */
    assignedUsers(id: PolicyIdentity): UserRecord[] {
        if (id.scope !== "tag") return [];
        const name = id.name.toLowerCase();
        return this.state.users.filter((u) => u.clientPolicy !== null && u.clientPolicy.toLowerCase() === name);
    }

    // ------------------------------------------------------------------ grants

    /** Resolves a grant's PolicyName to the stored tag policy's name, or null to unassign. */
    grantTarget(policyName: unknown): string | null {
        if (policyName === null) return null;
        if (typeof policyName !== "string") {
            throw Errors.invalidParameter("PolicyName", `PolicyName must be a string naming a tag policy or null, got ${JSON.stringify(policyName)}.`);
        }
        const id = Tenant.parseIdentity(policyName, "PolicyName");
        if (id.scope !== "tag") throw Errors.notAUserPolicy(id.canonical);
        const rec = this.state.policies[id.key];
        if (!rec) throw Errors.policyNotFound(id.canonical, "PolicyName");
        return Tenant.parseIdentity(rec.identity).name;
    }

    /** Grant-CsClientPolicy for one user; writes only when the assignment changes. */
    async grant(userIdentity: string, policyName: unknown): Promise<UserRecord> {
        const target = this.grantTarget(policyName);
        const user = this.resolveUser(userIdentity);
        if (user.clientPolicy !== target) {
            user.clientPolicy = target;
            await this.commit();
        }
        return user;
    }

    // ------------------------------------------------------------------ batch assignments

    /** Validates and records a batch; processing continues in the background. */
    async startBatch(policyName: unknown, users: string[]): Promise<BatchOperation> {
        const target = this.grantTarget(policyName);
        const op: BatchOperation = {
            id: randomUUID(), policyType: "ClientPolicy", policyName: target, status: "NotStarted",
            createdDateTime: new Date().toISOString(), pending: [...users], results: [],
        };
        this.state.operations.push(op);
        const done = this.state.operations.filter((o) => o.status === "Completed");
        if (done.length > BATCH_HISTORY) {
            const drop = new Set(done.slice(0, done.length - BATCH_HISTORY));
            this.state.operations = this.state.operations.filter((o) => !drop.has(o));
        }
        await this.commit();
        this.resumeBatches();
        return op;
    }

    /** A batch operation by id, or 404. */
    getBatch(id: string): BatchOperation {
        const op = this.state.operations.find((o) => o.id.toLowerCase() === id.toLowerCase());
        if (!op) throw Errors.operationNotFound(id);
        return op;
    }

    /** Wire form of a batch operation. */
    batchView(op: BatchOperation): BatchView {
        return {
            OperationId: op.id, PolicyType: op.policyType, PolicyName: op.policyName, Status: op.status,
            CreatedDateTime: op.createdDateTime, Results: op.results,
        };
    }

    /** Starts the background loop if unfinished operations exist (also after a restart). */
    resumeBatches(): void {
        if (this.batchLoop || this.stopping) return;
        this.batchLoop = this.runBatches().finally(() => {
            this.batchLoop = undefined;
        });
    }

    private async runBatches(): Promise<void> {
        for (;;) {
            const op = this.state.operations.find((o) => o.status !== "Completed");
            if (!op || this.stopping) return;
            // Yield so requests (e.g. status polls) interleave with chunks.
            await new Promise((r) => setTimeout(r, 0));
            op.status = "InProgress";
            for (const user of op.pending.splice(0, BATCH_CHUNK)) op.results.push(this.grantOne(op, user));
            if (op.pending.length === 0) op.status = "Completed";
            await this.commit(false);
        }
    }

    private grantOne(op: BatchOperation, user: string): BatchResult {
        try {
            // Re-resolved per user: the policy may have been removed since the batch was accepted.
            const target = op.policyName === null ? null : this.grantTarget(op.policyName);
            const rec = this.resolveUser(user);
            rec.clientPolicy = target;
            return { User: user, Status: "Succeeded", Id: rec.id };
        } catch (e) {
            if (!(e instanceof ApiError)) throw e;
            return { User: user, Status: "Failed", Error: { code: e.code, message: e.message } };
        }
    }
}

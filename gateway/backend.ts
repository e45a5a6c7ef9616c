/**
 * The gateway's {@link TenantBackend}: the tenant API over the Skype for Business Server Management Shell. Reads run
 * `Get-CsClientPolicy`/`Get-CsUser` through the shipped projection; writes run the documented cmdlets and are
 * reported done only after the shell confirmed them (and a re-read shows the result). The Central Management Store
 * has no conditional writes, so the ETag is computed here from the projected policy and its owner, and writes to one
 * policy or one user are serialised by a per-identity lock (administrators in the shell can still interleave: their
 * change shows up as a new ETag). Owners and batch operations live in the {@link SideStore}.
 *
 * Every command sent to the shell goes through {@link ShellBackend.exec}, which writes one audit line per command
 * (gateway/audit.ts) with who asked: the request's client and source address, or, for a batch's commands (run later
 * by the background worker, outside any request), the origin stored with the batch. Identities (owner keys, locks,
 * policy names) are compared with the one folding rule of api/identity.ts.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash, randomUUID } from "node:crypto";
import { SETTINGS, validateSetting, type WireValue } from "../api/catalogue";
import { OWNER_ANNOTATION, type BatchOperationView, type BatchUserResult, type ResolveResult, type WirePolicy, type WireUser } from "../api/contract";
import { foldIdentity, type PolicyIdentity } from "../api/identity";
import { codeOfPowerShellCategory } from "../api/errors";
import { currentRequest, type RequestRecord } from "../server/api";
import type { PolicyState, TenantBackend } from "../server/backend";
import { replayedBatch, type BatchReplayKey } from "../server/batch";
import { ApiError, Errors } from "../server/errors";
import { checkIfMatch, checkUserIdentity, parseIdentityOrFail, validatePolicyBody } from "../server/policyBody";
import type { AuditContext, CommandAudit, CommandAuditSink } from "./audit";
import { describeCommand, type CommandResult, type ShellCommand, type ShellError, type ShellRunner } from "./protocol";
import { Ps } from "./script";
import { batchWire, type BatchOrigin, type SideStore, type StoredBatch } from "./sideStore";

type LineResult = CommandResult;

/** Whether two policy names (or null: none) are the same under the folding rule. */
function samePolicyName(a: string | null, b: string | null): boolean {
    return a === null || b === null ? a === b : foldIdentity(a) === foldIdentity(b);
}

/** The audit context of the batch whose chunk is running (set by the worker; requests have their own record). */
const batchScope = new AsyncLocalStorage<AuditContext>();

/** Users resolved and granted per shell request while a batch runs (each chunk saved before the next). */
const BATCH_CHUNK = 200;

/** Counters of one tenant since start. */
export interface GatewayStats {
    /** Authenticated API requests. */
    requests: number;
    /** Confirmed write cmdlet lines plus owner changes. */
    writes: number;
}

/** Serialises async work per key. */
class KeyedLock {
    private readonly tails = new Map<string, Promise<void>>();

    async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
        const prev = this.tails.get(key) ?? Promise.resolve();
        let release!: () => void;
        const mine = new Promise<void>((r) => (release = r));
        const tail = prev.then(() => mine);
        this.tails.set(key, tail);
        await prev;
        try {
            return await fn();
        } finally {
            release();
            if (this.tails.get(key) === tail) this.tails.delete(key);
        }
    }
}

/** A shell error that means "no such object" (the cmdlets' ObjectNotFound category, or their "not found" wording). */
function isNotFound(e: ShellError): boolean {
    if (/^CommandNotFound/i.test(e.id)) return false; // a missing cmdlet is a broken session, not a missing object
    return codeOfPowerShellCategory(e.category, ["PolicyNotFound", "UserNotFound"]) !== undefined || /not found|cannot find|does not exist/i.test(e.message);
}

/** The ApiError for a failed command whose failure has no more specific meaning. */
function shellFailure(e: ShellError, command: ShellCommand): ApiError {
    const cmdlet = command.cmdlet;
    if (codeOfPowerShellCategory(e.category, ["InvalidParameter"]) || /ParameterBinding/i.test(e.id)) {
        return Errors.invalidParameter(cmdlet, `${cmdlet} refused the request: ${e.message}`);
    }
    return Errors.internal(`${cmdlet} failed in the Management Shell (${e.id || e.category}): ${e.message}`);
}

/** Strong ETag of a projected policy with its owner. */
export function policyEtag(policy: WirePolicy): string {
    return `"${createHash("sha256").update(JSON.stringify(policy)).digest("hex").slice(0, 20)}"`;
}

/**
 * Checks and orders a projected policy from the shell: `Identity` a string, every catalogue setting present (null when
 * unset) and valid for the catalogue. Throws a 500 naming the setting otherwise (the self-test finds these first).
 */
export function checkProjectedPolicy(raw: unknown): Record<string, WireValue | null> & { Identity: string } {
    if (raw === null || typeof raw !== "object" || typeof (raw as { Identity?: unknown }).Identity !== "string") {
        throw Errors.internal("The Management Shell's policy projection has no Identity; is the gateway module current?");
    }
    const o = raw as Record<string, unknown>;
    const out: Record<string, WireValue | null> = {};
    for (const def of SETTINGS) {
        const v = o[def.name];
        if (v === undefined || v === null) { out[def.name] = null; continue; }
        const r = validateSetting(def, v, "wire");
        if (!r.ok) throw Errors.internal(`The server's ${o.Identity as string} holds ${def.name} = ${JSON.stringify(v).slice(0, 80)}, which the catalogue does not accept (${r.message}); run clientpolicy gateway selftest.`);
        out[def.name] = r.value;
    }
    return Object.assign(out, { Identity: o.Identity as string });
}

function checkProjectedUser(raw: unknown): Omit<WireUser, "ClientPolicyOwner"> {
    const o = (raw ?? {}) as Record<string, unknown>;
    for (const k of ["Id", "SipAddress", "UserPrincipalName", "DisplayName"]) {
        if (typeof o[k] !== "string") throw Errors.internal(`The Management Shell's user projection has no ${k}; is the gateway module current?`);
    }
    const cp = o.ClientPolicy;
    if (cp !== null && cp !== undefined && typeof cp !== "string") throw Errors.internal("The Management Shell's user projection has a non-string ClientPolicy.");
    return { Id: o.Id as string, SipAddress: o.SipAddress as string, UserPrincipalName: o.UserPrincipalName as string, DisplayName: o.DisplayName as string, ClientPolicy: (cp as string | null | undefined) || null };
}

/** One tenant (one Skype for Business deployment) behind the gateway. */
export class ShellBackend implements TenantBackend {
    readonly stats: GatewayStats = { requests: 0, writes: 0 };
    private readonly policyLocks = new KeyedLock();
    private readonly userLocks = new KeyedLock();
    private readonly batchLocks = new KeyedLock();
    private worker?: Promise<void>;
    private stopping = false;

    /** `audit`: where each command's audit line goes (none: not audited). */
    constructor(readonly id: string, private readonly shell: ShellRunner, private readonly store: SideStore, private readonly audit?: CommandAuditSink) {}

    // ------------------------------------------------------------------ shell plumbing

    /** Who asks for the commands run now: the running batch chunk's origin, else the request being handled. */
    private auditContext(): { context: AuditContext; record?: RequestRecord } {
        const batch = batchScope.getStore();
        if (batch) return { context: batch };
        const r = currentRequest();
        return {
            record: r,
            context: {
                requestId: r?.requestId ?? null, operationId: r?.requestId ?? null, clientId: r?.clientId ?? null, remoteAddress: r?.remoteAddress ?? null,
                tenantId: this.id, method: r?.method ?? null, route: r?.route ?? null,
            },
        };
    }

    /**
     * Runs commands in one shell call, noting them for the request's audit line and writing one audit line per
     * command with its result (`unknown` for every command of a call the shell never answered: it may have run).
     */
    private async exec(commands: ShellCommand[], stopOnError = true): Promise<LineResult[]> {
        if (commands.length === 0) return [];
        const { context, record } = this.auditContext();
        record?.commands.push(...commands.map(describeCommand));
        const started = performance.now();
        const note = (results: CommandAudit["result"][]) => {
            const durationMs = Math.round((performance.now() - started) * 10) / 10;
            this.audit?.(commands.map((command, index) => ({ context, command, result: results[index] ?? { unknown: { id: "NoResult", category: "ShellFault" } }, durationMs, index, of: commands.length })));
        };
        let results: LineResult[];
        try {
            results = await this.shell.run(commands, { stopOnError });
        } catch (e) {
            const fault = { id: e instanceof ApiError ? e.code : "InternalServerError", category: "ShellFault" };
            note(commands.map(() => ({ unknown: fault })));
            throw e;
        }
        note(results);
        return results;
    }

    private countWrites(n = 1): void {
        this.stats.writes += n;
    }

    // ------------------------------------------------------------------ policies

    private wire(projected: Record<string, WireValue | null> & { Identity: string }, canonical: string): PolicyState {
        const policy: Record<string, unknown> = { Identity: projected.Identity, [OWNER_ANNOTATION]: this.store.policyOwner(this.id, canonical) };
        for (const def of SETTINGS) policy[def.name] = projected[def.name] ?? null;
        return { policy: policy as WirePolicy, etag: policyEtag(policy as WirePolicy) };
    }

    /** The projected policy from a read command's result; undefined when it does not exist. */
    private policyFrom(r: LineResult, line: ShellCommand): (Record<string, WireValue | null> & { Identity: string }) | undefined {
        if (!r.ok) {
            if ("skipped" in r) throw Errors.internal("The policy read was skipped after a failed line.");
            if (isNotFound(r.error)) return undefined;
            throw shellFailure(r.error, line);
        }
        if (r.output.length === 0) return undefined;
        return checkProjectedPolicy(r.output[0]);
    }

    /**
     * Reads a policy. A policy that does not exist has no owner: a recorded one (a create the shell never ran, or a
     * policy an administrator removed) is dropped here, so it cannot attach to a policy made later by someone else.
     */
    private async read(id: PolicyIdentity): Promise<PolicyState | undefined> {
        const line = Ps.getPolicy(id.canonical);
        const [r] = await this.exec([line]);
        const p = this.policyFrom(r, line);
        if (!p) {
            this.store.setPolicyOwner(this.id, id.canonical, null);
            return undefined;
        }
        return this.wire(p, id.canonical);
    }

    async listPolicies(): Promise<WirePolicy[]> {
        const line = Ps.listPolicies();
        const [r] = await this.exec([line]);
        if (!r.ok) throw "error" in r ? shellFailure(r.error, line) : Errors.internal("skipped");
        const owners = this.store.policyOwners(this.id);
        return r.output.map((raw) => {
            const p = checkProjectedPolicy(raw);
            const key = foldIdentity(parseIdentityOrFail(p.Identity).canonical);
            const policy: Record<string, unknown> = { Identity: p.Identity, [OWNER_ANNOTATION]: owners.get(key) ?? null };
            for (const def of SETTINGS) policy[def.name] = p[def.name] ?? null;
            return policy as WirePolicy;
        });
    }

    async getPolicy(identity: string): Promise<PolicyState> {
        const id = parseIdentityOrFail(identity);
        const state = await this.read(id);
        if (!state) throw Errors.policyNotFound(id.canonical);
        return state;
    }

    async createPolicy(identity: string, body: unknown): Promise<PolicyState> {
        const id = parseIdentityOrFail(identity);
        const changes = validatePolicyBody(body, id);
        return this.policyLocks.run(foldIdentity(id.canonical), async () => {
            if (await this.read(id)) throw Errors.policyAlreadyExists(id.canonical);
            const settings = Object.fromEntries(Object.entries(changes.settings).filter(([, v]) => v !== null));
            const owner = changes.owner ?? null;
            // The owner is recorded first, pending: an interrupted create leaves a policy its creator recognises as its own.
            this.store.setPolicyOwner(this.id, id.canonical, owner, true);
            const lines = [Ps.newPolicy(id.canonical, settings), Ps.getPolicy(id.canonical)];
            let made: LineResult;
            let read: LineResult;
            try {
                [made, read] = await this.exec(lines);
            } catch (e) {
                // A 503/504 leaves the outcome unknown: settle it with a fresh read (the failed shell was replaced).
                await this.settleCreate(id, owner);
                throw e;
            }
            if (!made.ok) {
                this.store.setPolicyOwner(this.id, id.canonical, null);
                if ("skipped" in made) throw Errors.internal("skipped");
                if (codeOfPowerShellCategory(made.error.category, ["PolicyAlreadyExists"]) || /already exists/i.test(made.error.message)) throw Errors.policyAlreadyExists(id.canonical);
                throw shellFailure(made.error, lines[0]);
            }
            this.countWrites();
            // Set, not just confirmed: a read meanwhile may have dropped the pending record before the policy existed.
            this.store.setPolicyOwner(this.id, id.canonical, owner);
            const p = this.policyFrom(read, lines[1]);
            if (!p) throw Errors.internal(`New-CsClientPolicy succeeded but ${id.canonical} cannot be read back.`);
            return this.wire(p, id.canonical);
        });
    }

    /**
     * After a create whose outcome is unknown: the policy exists → the owner stands (the creator's retry recognises its
     * own policy); it does not → the owner is dropped ({@link read} does); the read fails too → the owner stays
     * pending and the next read settles it.
     */
    private async settleCreate(id: PolicyIdentity, owner: string | null): Promise<void> {
        try {
            if (await this.read(id)) this.store.setPolicyOwner(this.id, id.canonical, owner);
        } catch {
            this.store.setPolicyOwner(this.id, id.canonical, owner, true);
        }
    }

    async updatePolicy(identity: string, body: unknown, mode: "replace" | "patch", ifMatch?: string): Promise<PolicyState> {
        const id = parseIdentityOrFail(identity);
        const changes = validatePolicyBody(body, id);
        return this.policyLocks.run(foldIdentity(id.canonical), async () => {
            const cur = await this.read(id);
            if (!cur) throw Errors.policyNotFound(id.canonical);
            checkIfMatch(cur.etag, ifMatch, cur.policy.Identity);
            const curOwner = (cur.policy[OWNER_ANNOTATION] ?? null) as string | null;
            if (mode === "patch" && changes.owner !== undefined && changes.owner !== curOwner) {
                throw Errors.invalidParameter(OWNER_ANNOTATION, `${OWNER_ANNOTATION} cannot be changed by a merge patch (Set-CsClientPolicy); replace the policy with PUT and If-Match.`);
            }
            const desired = { ...changes.settings };
            if (mode === "replace") for (const def of SETTINGS) if (!(def.name in desired)) desired[def.name] = null;
            const toSet: Record<string, WireValue | null> = {};
            for (const [k, v] of Object.entries(desired)) {
                if (JSON.stringify(cur.policy[k] ?? null) !== JSON.stringify(v)) toSet[k] = v;
            }
            const owner = changes.owner === undefined ? curOwner : changes.owner;
            if (Object.keys(toSet).length === 0 && owner === curOwner) return cur;
            if (Object.keys(toSet).length > 0) {
                const lines = [Ps.setPolicy(id.canonical, toSet), Ps.getPolicy(id.canonical)];
                const [set] = await this.exec(lines);
                if (!set.ok) {
                    if ("skipped" in set) throw Errors.internal("skipped");
                    if (isNotFound(set.error)) throw Errors.policyNotFound(id.canonical);
                    throw shellFailure(set.error, lines[0]);
                }
                this.countWrites();
            }
            if (owner !== curOwner) {
                this.store.setPolicyOwner(this.id, id.canonical, owner);
                this.countWrites();
            }
            const after = await this.read(id);
            if (!after) throw Errors.policyNotFound(id.canonical);
            return after;
        });
    }

    async removePolicy(identity: string, force: boolean, ifMatch?: string): Promise<PolicyState | undefined> {
        const id = parseIdentityOrFail(identity);
        return this.policyLocks.run(foldIdentity(id.canonical), async () => {
            const cur = await this.read(id);
            if (!cur) throw Errors.policyNotFound(id.canonical);
            checkIfMatch(cur.etag, ifMatch, cur.policy.Identity);
            if (id.scope === "tag") {
                const users = await this.usersWith(cur.policy.Identity);
                if (users.length > 0 && !force) throw Errors.policyInUse(id.canonical, users.length);
                if (users.length > 0) {
                    const lines = users.map((u) => Ps.grant(u.SipAddress, null));
                    const results = await this.exec(lines, false);
                    const done = users.filter((_, i) => results[i].ok);
                    this.store.setAssignmentOwners(this.id, done.map((u) => ({ userId: u.Id, policy: null, owner: null })));
                    this.countWrites(done.length);
                    const failed = results.findIndex((r) => !r.ok);
                    if (failed >= 0) {
                        const r = results[failed];
                        throw "error" in r ? shellFailure(r.error, lines[failed]) : Errors.internal("skipped");
                    }
                }
            }
            const line = Ps.removePolicy(cur.policy.Identity);
            const [removed] = await this.exec([line]);
            if (!removed.ok) {
                if ("skipped" in removed) throw Errors.internal("skipped");
                if (isNotFound(removed.error)) throw Errors.policyNotFound(id.canonical);
                throw shellFailure(removed.error, line);
            }
            this.countWrites();
            this.store.setPolicyOwner(this.id, id.canonical, null);
            if (id.scope !== "global") return undefined;
            const after = await this.read(id);
            if (!after) throw Errors.internal("Global cannot be read back after its reset.");
            return after;
        });
    }

    // ------------------------------------------------------------------ users

    private withOwner(u: Omit<WireUser, "ClientPolicyOwner">): WireUser {
        return { ...u, ClientPolicyOwner: this.store.assignmentOwner(this.id, u.Id, u.ClientPolicy) };
    }

    /** Users directly granted a tag policy (its stored identity). */
    private async usersWith(tagIdentity: string): Promise<WireUser[]> {
        const line = Ps.usersWithPolicy(tagIdentity);
        const [r] = await this.exec([line]);
        if (!r.ok) throw "error" in r ? shellFailure(r.error, line) : Errors.internal("skipped");
        return r.output.map((o) => this.withOwner(checkProjectedUser(o)));
    }

    async assignedUsers(identity: string): Promise<WireUser[]> {
        const state = await this.getPolicy(identity);
        if (parseIdentityOrFail(identity).scope !== "tag") return [];
        return this.usersWith(state.policy.Identity);
    }

    /** The shared rule (server/policyBody.ts), so both backends refuse the same identities the same way. */
    private static checkUserIdentity(identity: string): void {
        checkUserIdentity(identity);
    }

    /** The users a Get-CsUser command answered, or the error it means. */
    private usersFrom(r: LineResult, line: ShellCommand): WireUser[] {
        if (!r.ok) {
            if ("skipped" in r) throw Errors.internal("skipped");
            if (isNotFound(r.error)) return [];
            throw shellFailure(r.error, line);
        }
        return r.output.map((o) => this.withOwner(checkProjectedUser(o)));
    }

    private static one(identity: string, found: WireUser[]): WireUser {
        if (found.length === 1) return found[0];
        if (found.length > 1) throw Errors.ambiguousIdentity(identity, found.map((u) => ({ id: u.Id, sipAddress: u.SipAddress, displayName: u.DisplayName })));
        throw Errors.userNotFound(identity);
    }

    async getUser(identity: string): Promise<WireUser> {
        ShellBackend.checkUserIdentity(identity);
        const line = Ps.getUser(identity.trim());
        const [r] = await this.exec([line]);
        return ShellBackend.one(identity, this.usersFrom(r, line));
    }

    async resolveUsers(identities: string[]): Promise<ResolveResult[]> {
        const out: Array<ResolveResult | undefined> = identities.map(() => undefined);
        const lines: ShellCommand[] = [];
        const index: number[] = [];
        identities.forEach((identity, i) => {
            try {
                ShellBackend.checkUserIdentity(identity);
                lines.push(Ps.getUser(identity.trim()));
                index.push(i);
            } catch (e) {
                if (!(e instanceof ApiError)) throw e;
                out[i] = { Identity: identity, Error: { code: e.code, message: e.message } };
            }
        });
        const results = await this.exec(lines, false);
        results.forEach((r, k) => {
            const identity = identities[index[k]];
            try {
                const found = this.usersFrom(r, lines[k]);
                if (found.length > 1) {
                    const e = Errors.ambiguousIdentity(identity, found.map((u) => ({ id: u.Id, sipAddress: u.SipAddress, displayName: u.DisplayName })));
                    out[index[k]] = { Identity: identity, Error: { code: e.code, message: e.message, matches: found.map((u) => u.SipAddress) } };
                } else out[index[k]] = { Identity: identity, User: ShellBackend.one(identity, found) };
            } catch (e) {
                if (!(e instanceof ApiError)) throw e;
                out[index[k]] = { Identity: identity, Error: { code: e.code, message: e.message } };
            }
        });
        return out as ResolveResult[];
    }

    /** A grant's PolicyName as the stored tag policy's name (without `Tag:`), or null to unassign. */
    private async grantTarget(policyName: unknown): Promise<string | null> {
        if (policyName === null) return null;
        if (typeof policyName !== "string") {
            throw Errors.invalidParameter("PolicyName", `PolicyName must be a string naming a tag policy or null, got ${JSON.stringify(policyName)}.`);
        }
        const id = parseIdentityOrFail(policyName, "PolicyName");
        if (id.scope !== "tag") throw Errors.notAUserPolicy(id.canonical);
        const state = await this.read(id);
        if (!state) throw Errors.policyNotFound(id.canonical, "PolicyName");
        return parseIdentityOrFail(state.policy.Identity).name;
    }

    async grant(userIdentity: string, policyName: unknown, owner: string | null): Promise<WireUser> {
        const target = await this.grantTarget(policyName);
        const found = await this.getUser(userIdentity);
        return this.userLocks.run(foldIdentity(found.Id), async () => {
            // Read again under the lock: another request may have granted this user meanwhile.
            const user = await this.getUser(found.SipAddress);
            const nextOwner = target === null ? null : owner;
            const holds = samePolicyName(user.ClientPolicy, target);
            if (holds && user.ClientPolicyOwner === nextOwner) return user;
            if (!holds) {
                const lines = [Ps.grant(user.SipAddress, target), Ps.getUser(user.SipAddress)];
                const [granted, read] = await this.exec(lines);
                if (!granted.ok) throw "error" in granted ? shellFailure(granted.error, lines[0]) : Errors.internal("skipped");
                this.countWrites();
                this.store.setAssignmentOwners(this.id, [{ userId: user.Id, policy: target, owner: nextOwner }]);
                return ShellBackend.one(user.SipAddress, this.usersFrom(read, lines[1]));
            }
            this.store.setAssignmentOwners(this.id, [{ userId: user.Id, policy: target, owner: nextOwner }]);
            this.countWrites();
            return { ...user, ClientPolicyOwner: nextOwner };
        });
    }

    // ------------------------------------------------------------------ batch assignments

    /**
     * Records a batch for the background worker. With `replay` (the POST carried an OperationId) the shared replay rule
     * (server/batch.ts) decides first, under a lock per id so two concurrent retries cannot both start it: a known id
     * with the same request answers that batch, with another request 409; a new id becomes the batch's id. The
     * request's client, source address and request id are stored with the batch for its commands' audit lines.
     */
    async startBatch(policyName: unknown, users: string[], owner: string | null, replay?: BatchReplayKey): Promise<string> {
        const start = async (): Promise<string> => {
            if (replay) {
                const known = this.store.batchAnyTenant(replay.operationId);
                // An id taken in another tenant cannot be this tenant's batch: a conflict, without telling whose.
                if (known && foldIdentity(known.tenantId) !== foldIdentity(this.id)) throw Errors.operationIdConflict(replay.operationId);
                const again = replayedBatch(known && { id: known.id, requestHash: known.requestHash }, replay);
                if (again !== undefined) return again;
            }
            const target = await this.grantTarget(policyName);
            const r = currentRequest();
            const origin: BatchOrigin | null = r ? { requestId: r.requestId, clientId: r.clientId ?? null, remoteAddress: r.remoteAddress ?? null, method: r.method, route: r.route } : null;
            const op: StoredBatch = {
                id: replay?.operationId ?? randomUUID(), tenantId: this.id, policyName: target, owner: target === null ? null : owner, status: "NotStarted",
                createdDateTime: new Date().toISOString(), pending: [...users], results: [], requestHash: replay?.requestHash ?? null, origin,
            };
            this.store.addBatch(op);
            this.countWrites();
            this.resumeBatches();
            return op.id;
        };
        return replay ? this.batchLocks.run(replay.operationId.toLowerCase(), start) : start();
    }

    async getBatch(id: string): Promise<BatchOperationView> {
        const op = this.store.batch(this.id, id);
        if (!op) throw Errors.operationNotFound(id);
        return batchWire(op);
    }

    /** Starts the background worker if unfinished batches exist (after an accepted batch, and at start). */
    resumeBatches(): void {
        if (this.worker || this.stopping) return;
        this.worker = this.runBatches().finally(() => { this.worker = undefined; });
    }

    /** Stops after the current chunk (unfinished batches resume at the next start). */
    async stop(): Promise<void> {
        this.stopping = true;
        await this.worker;
    }

    private async runBatches(): Promise<void> {
        for (;;) {
            const op = this.store.unfinished(this.id)[0];
            if (!op || this.stopping) return;
            const context: AuditContext = {
                requestId: op.origin?.requestId ?? null, operationId: op.id, clientId: op.origin?.clientId ?? null, remoteAddress: op.origin?.remoteAddress ?? null,
                tenantId: this.id, method: op.origin?.method ?? null, route: op.origin?.route ?? null,
            };
            try {
                await batchScope.run(context, () => this.batchChunk(op));
            } catch (e) {
                // The shell died or hung: nothing of this chunk is recorded as done; it is retried after a pause.
                if (!(e instanceof ApiError) || (e.status !== 503 && e.status !== 504)) {
                    for (const user of op.pending.splice(0)) op.results.push({ User: user, Status: "Failed", Error: { code: "InternalServerError", message: (e as Error).message } });
                    op.status = "Completed";
                    this.store.saveBatch(op);
                    continue;
                }
                await new Promise((r) => setTimeout(r, 500));
            }
        }
    }

    /** Resolves and grants one chunk of a batch; saves its results only after the shell confirmed them. */
    private async batchChunk(op: StoredBatch): Promise<void> {
        const chunk = op.pending.slice(0, BATCH_CHUNK);
        const results: BatchUserResult[] = [];
        // Re-checked per chunk: the policy may have been removed since the batch was accepted.
        let target: string | null = null;
        let policyError: ApiError | undefined;
        try {
            target = op.policyName === null ? null : await this.grantTarget(`Tag:${op.policyName}`);
        } catch (e) {
            if (!(e instanceof ApiError) || e.status === 503 || e.status === 504) throw e;
            policyError = e;
        }
        const resolved = policyError ? [] : await this.resolveUsers(chunk);
        const grants: Array<{ index: number; user: WireUser }> = [];
        chunk.forEach((user, i) => {
            if (policyError) { results[i] = { User: user, Status: "Failed", Error: { code: policyError.code, message: policyError.message } }; return; }
            const r = resolved[i];
            if (!r.User) { results[i] = { User: user, Status: "Failed", Error: { code: r.Error!.code, message: r.Error!.message } }; return; }
            if (samePolicyName(r.User.ClientPolicy, target)) results[i] = { User: user, Status: "Succeeded", Id: r.User.Id };
            else grants.push({ index: i, user: r.User });
        });
        const lines = grants.map((g) => Ps.grant(g.user.SipAddress, target));
        const granted = await this.exec(lines, false);
        grants.forEach((g, k) => {
            const r = granted[k];
            results[g.index] = r.ok
                ? { User: chunk[g.index], Status: "Succeeded", Id: g.user.Id }
                : { User: chunk[g.index], Status: "Failed", Error: { code: "InternalServerError", message: "error" in r ? r.error.message : "skipped" } };
        });
        const owned = chunk.flatMap((_, i) => results[i].Status === "Succeeded" ? [{ userId: results[i].Id!, policy: target, owner: op.owner }] : []);
        this.store.setAssignmentOwners(this.id, owned);
        this.countWrites(granted.filter((r) => r.ok).length);
        op.results.push(...results);
        op.pending.splice(0, chunk.length);
        op.status = op.pending.length === 0 ? "Completed" : "InProgress";
        this.store.saveBatch(op);
    }
}


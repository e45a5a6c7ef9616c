/**
 * The gateway's {@link TenantDirectory}: a Skype for Business Server deployment through its Management Shell, with
 * what the server cannot hold (owners, batches) in the {@link SideStore}; the tenant rules are the tenant service's
 * (server/tenant.ts). Reads run `Get-CsClientPolicy`/`Get-CsUser` through the shipped projection; writes run the
 * documented cmdlets and are reported done only after the shell confirmed them (and a re-read shows the result). The
 * Central Management Store has no conditional writes, so a policy's ETag is a digest of its projection and owner
 * (administrators in the shell can still change a policy between two requests: their change shows as a new ETag).
 *
 * Every command sent to the shell goes through {@link ShellTenant.exec}, which writes one audit line per command
 * (gateway/audit.ts) with who asked: the request's client and source address, or, for a batch's commands (run later
 * in the background, outside any request), the origin stored with the batch. Identities (owner keys, policy names)
 * are compared with the one folding rule of api/identity.ts.
 */
import { createHash } from "node:crypto";
import { SETTINGS, validateSetting, type WireValue } from "../api/catalogue";
import type { WirePolicy, WireUser } from "../api/contract";
import { foldIdentity, type PolicyIdentity } from "../api/identity";
import { codeOfPowerShellCategory } from "../api/errors";
import { currentBatch, holds } from "../server/batch";
import type { AssignmentWrite, BatchLog, BatchRecord, DirectoryPolicy, PolicyWrite, TenantDirectory } from "../server/directory";
import { ApiError, Errors } from "../server/errors";
import { parseIdentityOrFail } from "../server/policyBody";
import { currentRequest, type RequestRecord } from "../server/requestScope";
import { TenantService } from "../server/tenant";
import { renderPolicy } from "../server/views";
import type { AuditContext, CommandAudit, CommandAuditSink } from "./audit";
import { describeCommand, type CommandResult, type ShellCommand, type ShellError, type ShellRunner } from "./protocol";
import { Ps } from "./script";
import type { SideStore } from "./sideStore";

/** Users resolved and granted per shell request while a batch runs (each step saved before the next). */
const BATCH_CHUNK = 200;

/** Counters of one tenant since start. */
export interface GatewayStats {
    /** Authenticated API requests. */
    requests: number;
    /** Confirmed write cmdlet lines plus owner changes. */
    writes: number;
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

/** The error of a command that did not succeed: skipped after an earlier failure, or failed. */
function failure(r: Exclude<CommandResult, { ok: true }>, command: ShellCommand): ApiError {
    return "skipped" in r ? Errors.internal("skipped") : shellFailure(r.error, command);
}

/** Strong ETag of a policy in wire form (with its owner). */
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

/** A projected policy with its owner, as the directory answers it. */
function stored(projected: Record<string, WireValue | null> & { Identity: string }, owner: string | null): DirectoryPolicy {
    const settings: Record<string, WireValue> = {};
    for (const def of SETTINGS) {
        const v = projected[def.name];
        if (v !== null && v !== undefined) settings[def.name] = v;
    }
    const p = { identity: projected.Identity, owner, settings };
    return { ...p, etag: policyEtag(renderPolicy(p)) };
}

/** One tenant (one Skype for Business deployment) behind the gateway. */
export class ShellTenant implements TenantDirectory, BatchLog {
    readonly stats: GatewayStats = { requests: 0, writes: 0 };
    /** The tenant API over this deployment. */
    readonly service: TenantService;
    readonly batchChunk = BATCH_CHUNK;

    /** `audit`: where each command's audit line goes (none: not audited). */
    constructor(readonly id: string, private readonly shell: ShellRunner, private readonly store: SideStore, private readonly audit?: CommandAuditSink) {
        this.service = new TenantService(this);
    }

    get batches(): BatchLog {
        return this;
    }

    // ------------------------------------------------------------------ shell plumbing

    /** Who asks for the commands run now: the running batch step's origin, else the request being handled. */
    private auditContext(): { context: AuditContext; record?: RequestRecord } {
        const batch = currentBatch();
        if (batch) {
            const o = batch.origin;
            return {
                context: {
                    requestId: o?.requestId ?? null, operationId: batch.id, clientId: o?.clientId ?? null, remoteAddress: o?.remoteAddress ?? null,
                    tenantId: this.id, method: o?.method ?? null, route: o?.route ?? null,
                },
            };
        }
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
    private async exec(commands: ShellCommand[], stopOnError = true): Promise<CommandResult[]> {
        if (commands.length === 0) return [];
        const { context, record } = this.auditContext();
        record?.commands.push(...commands.map(describeCommand));
        const started = performance.now();
        const note = (results: CommandAudit["result"][]) => {
            const durationMs = Math.round((performance.now() - started) * 10) / 10;
            this.audit?.(commands.map((command, index) => ({ context, command, result: results[index] ?? { unknown: { id: "NoResult", category: "ShellFault" } }, durationMs, index, of: commands.length })));
        };
        let results: CommandResult[];
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

    /** The projected policy from a read command's result; undefined when it does not exist. */
    private policyFrom(r: CommandResult, line: ShellCommand): (Record<string, WireValue | null> & { Identity: string }) | undefined {
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
    async readPolicy(id: PolicyIdentity): Promise<DirectoryPolicy | undefined> {
        const line = Ps.getPolicy(id.canonical);
        const [r] = await this.exec([line]);
        const p = this.policyFrom(r, line);
        if (!p) {
            this.store.setPolicyOwner(this.id, id.canonical, null);
            return undefined;
        }
        return stored(p, this.store.policyOwner(this.id, id.canonical));
    }

    async listPolicies(): Promise<DirectoryPolicy[]> {
        const line = Ps.listPolicies();
        const [r] = await this.exec([line]);
        if (!r.ok) throw failure(r, line);
        const owners = this.store.policyOwners(this.id);
        return r.output.map((raw) => {
            const p = checkProjectedPolicy(raw);
            return stored(p, owners.get(foldIdentity(parseIdentityOrFail(p.Identity).canonical)) ?? null);
        });
    }

    async writePolicy(id: PolicyIdentity, write: PolicyWrite): Promise<DirectoryPolicy> {
        return write.create ? this.create(id, write) : this.update(id, write);
    }

    private async create(id: PolicyIdentity, write: PolicyWrite): Promise<DirectoryPolicy> {
        const settings = Object.fromEntries(Object.entries(write.settings).filter(([, v]) => v !== null)) as Record<string, WireValue>;
        // The owner is recorded first, pending: an interrupted create leaves a policy its creator recognises as its own.
        this.store.setPolicyOwner(this.id, id.canonical, write.owner, true);
        const lines = [Ps.newPolicy(id.canonical, settings), Ps.getPolicy(id.canonical)];
        let made: CommandResult;
        let read: CommandResult;
        try {
            [made, read] = await this.exec(lines);
        } catch (e) {
            // A 503/504 leaves the outcome unknown: settle it with a fresh read (the failed shell was replaced).
            await this.settleCreate(id, write.owner);
            throw e;
        }
        if (!made.ok) {
            this.store.setPolicyOwner(this.id, id.canonical, null);
            if ("error" in made && (codeOfPowerShellCategory(made.error.category, ["PolicyAlreadyExists"]) || /already exists/i.test(made.error.message))) throw Errors.policyAlreadyExists(id.canonical);
            throw failure(made, lines[0]);
        }
        this.countWrites();
        // Set, not just confirmed: a read meanwhile may have dropped the pending record before the policy existed.
        this.store.setPolicyOwner(this.id, id.canonical, write.owner);
        const p = this.policyFrom(read, lines[1]);
        if (!p) throw Errors.internal(`New-CsClientPolicy succeeded but ${id.canonical} cannot be read back.`);
        return stored(p, write.owner);
    }

    /**
     * After a create whose outcome is unknown: the policy exists → the owner stands (the creator's retry recognises its
     * own policy); it does not → the owner is dropped ({@link readPolicy} does); the read fails too → the owner stays
     * pending and the next read settles it.
     */
    private async settleCreate(id: PolicyIdentity, owner: string | null): Promise<void> {
        try {
            if (await this.readPolicy(id)) this.store.setPolicyOwner(this.id, id.canonical, owner);
        } catch {
            this.store.setPolicyOwner(this.id, id.canonical, owner, true);
        }
    }

    private async update(id: PolicyIdentity, write: PolicyWrite): Promise<DirectoryPolicy> {
        if (Object.keys(write.settings).length > 0) {
            const lines = [Ps.setPolicy(id.canonical, write.settings), Ps.getPolicy(id.canonical)];
            const [set] = await this.exec(lines);
            if (!set.ok) {
                if ("error" in set && isNotFound(set.error)) throw Errors.policyNotFound(id.canonical);
                throw failure(set, lines[0]);
            }
            this.countWrites();
        }
        if (write.owner !== this.store.policyOwner(this.id, id.canonical)) {
            this.store.setPolicyOwner(this.id, id.canonical, write.owner);
            this.countWrites();
        }
        const after = await this.readPolicy(id);
        if (!after) throw Errors.policyNotFound(id.canonical);
        return after;
    }

    async deletePolicy(id: PolicyIdentity, current: DirectoryPolicy): Promise<DirectoryPolicy | undefined> {
        const line = Ps.removePolicy(current.identity);
        const [removed] = await this.exec([line]);
        if (!removed.ok) {
            if ("error" in removed && isNotFound(removed.error)) throw Errors.policyNotFound(id.canonical);
            throw failure(removed, line);
        }
        this.countWrites();
        this.store.setPolicyOwner(this.id, id.canonical, null);
        if (id.scope !== "global") return undefined;
        const after = await this.readPolicy(id);
        if (!after) throw Errors.internal("Global cannot be read back after its reset.");
        return after;
    }

    // ------------------------------------------------------------------ users

    private withOwner(u: Omit<WireUser, "ClientPolicyOwner">): WireUser {
        return { ...u, ClientPolicyOwner: this.store.assignmentOwner(this.id, u.Id, u.ClientPolicy) };
    }

    /** The users a Get-CsUser command answered, or the error it means. */
    private usersFrom(r: CommandResult, line: ShellCommand): WireUser[] {
        if (!r.ok) {
            if ("error" in r && isNotFound(r.error)) return [];
            throw failure(r, line);
        }
        return r.output.map((o) => this.withOwner(checkProjectedUser(o)));
    }

    async usersWithPolicy(identity: string): Promise<WireUser[]> {
        const line = Ps.usersWithPolicy(identity);
        const [r] = await this.exec([line]);
        if (!r.ok) throw failure(r, line);
        return r.output.map((o) => this.withOwner(checkProjectedUser(o)));
    }

    async findUsers(identities: readonly string[]): Promise<Array<WireUser[] | ApiError>> {
        const lines = identities.map((identity) => Ps.getUser(identity));
        const results = await this.exec(lines, false);
        return results.map((r, k) => {
            try {
                return this.usersFrom(r, lines[k]);
            } catch (e) {
                if (!(e instanceof ApiError)) throw e;
                return e;
            }
        });
    }

    /**
     * Grant-CsClientPolicy for each write whose user does not hold the policy yet; an assignment the user already holds
     * only changes its recorded owner. Owners are recorded once the shell confirmed the grant.
     */
    async setAssignments(writes: readonly AssignmentWrite[], readBack = false): Promise<Array<WireUser | ApiError>> {
        const lines: ShellCommand[] = [];
        const lineOf = new Map<number, number>();
        writes.forEach((w, i) => {
            if (holds(w.user, w.policy)) return;
            lineOf.set(i, lines.length);
            lines.push(Ps.grant(w.user.SipAddress, w.policy));
            if (readBack) lines.push(Ps.getUser(w.user.SipAddress));
        });
        const results = await this.exec(lines, readBack);
        const done = writes.filter((_, i) => !lineOf.has(i) || results[lineOf.get(i)!].ok);
        this.store.setAssignmentOwners(this.id, done.map((w) => ({ userId: w.user.Id, policy: w.policy, owner: w.owner })));
        // A batch counts the grants the server saw; a request counts each assignment it changed.
        this.countWrites(currentBatch() ? results.filter((r, k) => r.ok && lines[k].cmdlet === "Grant-CsClientPolicy").length : done.length);
        return writes.map((w, i): WireUser | ApiError => {
            const at = lineOf.get(i);
            if (at === undefined) return { ...w.user, ClientPolicyOwner: w.owner };
            const granted = results[at];
            if (!granted.ok) return failure(granted, lines[at]);
            if (!readBack) return { ...w.user, ClientPolicy: w.policy, ClientPolicyOwner: w.owner };
            try {
                const found = this.usersFrom(results[at + 1], lines[at + 1]);
                if (found.length === 1) return found[0];
                return found.length === 0 ? Errors.userNotFound(w.user.SipAddress) : Errors.ambiguousIdentity(w.user.SipAddress, found.map((u) => ({ id: u.Id, sipAddress: u.SipAddress, displayName: u.DisplayName })));
            } catch (e) {
                if (!(e instanceof ApiError)) throw e;
                return e;
            }
        });
    }

    // ------------------------------------------------------------------ batch operations

    async add(batch: BatchRecord, keepCompleted: number): Promise<void> {
        this.store.addBatch({ ...batch, tenantId: this.id, origin: batch.origin ?? null }, keepCompleted);
        this.countWrites();
    }

    async save(batch: BatchRecord): Promise<void> {
        this.store.saveBatch(batch);
    }

    async find(id: string, anyTenant = false): Promise<BatchRecord | undefined> {
        return anyTenant ? this.store.batchAnyTenant(id) : this.store.batch(this.id, id);
    }

    async nextUnfinished(): Promise<BatchRecord | undefined> {
        return this.store.unfinished(this.id)[0];
    }
}

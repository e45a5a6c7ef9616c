/**
 * The gateway's {@link TenantDirectory}: a Skype for Business Server deployment through its Management Shell, with
 * what the server cannot hold (owners, batches) in the {@link SideStore}; the tenant rules are the tenant service's
 * (server/tenant.ts). Reads run `Get-CsClientPolicy`/`Get-CsUser` through the shipped projection; writes run the
 * documented cmdlets and are reported done only after the shell confirmed them (and a re-read shows the result). The
 * Central Management Store has no conditional writes, so a policy's ETag is a digest of its projection and owner
 * (administrators in the shell can still change a policy between two requests: their change shows as a new ETag).
 *
 * Users' sites: `Get-CsUser` reports each user's `RegistrarPool` (FQDN); the pool's site comes from the topology
 * (`Get-CsSite`: each site's `Identity` `Site:<name>` and `Pools`; `Get-CsPool`: each pool's `Site`), read in one shell
 * call and kept for {@link TOPOLOGY_TTL_MS} (5 minutes) as a pool → site map. The gateway never moves users between
 * pools (it runs no `Move-CsUser`), so none of its writes changes the map; a topology published meanwhile shows within
 * that time, and a user on a pool the cached map lacks makes a listing read the topology again once it is over
 * {@link TOPOLOGY_RETRY_MS} old. `GET /users` lists with `Get-CsUser -ResultSize` ({@link LIST_USERS_MAX}); the API layer
 * filters and pages that list.
 *
 * Every command sent to the shell goes through {@link ShellTenant.exec}, which writes one audit line per command
 * (gateway/audit.ts) with who asked: the request's client and source address, or, for a batch's commands (run later
 * in the background, outside any request), the origin stored with the batch. Identities (owner keys, policy names)
 * are compared with the one folding rule of api/identity.ts.
 */
import { createHash } from "node:crypto";
import { SETTINGS, validateSetting, type WireValue } from "../api/catalogue";
import type { WirePolicy, WireSite, WireUser } from "../api/contract";
import { foldIdentity, type PolicyIdentity } from "../api/identity";
import { codeOfPowerShellCategory } from "../api/errors";
import { currentBatch, isAssignedTo } from "../server/batch";
import type { AssignmentWrite, BatchLog, BatchRecord, DirectoryPolicy, PolicyWrite, TenantDirectory } from "../server/directory";
import { ApiError, Errors } from "../server/errors";
import { parseIdentityOrFail } from "../server/policyBody";
import { currentRequest, type RequestRecord } from "../server/requestScope";
import { TenantService } from "../server/tenant";
import { renderPolicy } from "../server/views";
import type { AuditContext, CommandAudit, CommandAuditSink } from "./audit";
import { describeCommand, type CommandResult, type ShellCommand, type ShellError } from "../api/powershell/protocol";
import type { ShellRunner } from "./shell";
import { Ps } from "./commands";
import type { SideStore } from "./sideStore";

/** Users resolved and granted per shell request while a batch runs (each step saved before the next). */
const BATCH_CHUNK = 200;

/** How long the topology read (sites, pools, pool → site) is reused: 5 minutes. */
export const TOPOLOGY_TTL_MS = 5 * 60_000;
/** A listing that meets a pool the cached topology lacks reads it again, if the cached one is at least this old. */
export const TOPOLOGY_RETRY_MS = 30_000;
/**
 * Most users `GET /users` and `userCounts` list in one shell call (`Get-CsUser -ResultSize`, asked for one more): a
 * deployment with more is answered 501 naming the limit rather than counted from an arbitrary subset.
 */
export const LIST_USERS_MAX = 100_000;

/** The topology as the gateway uses it: the sites as answered, and each pool's site identity by folded FQDN. */
interface Topology {
    sites: WireSite[];
    siteOfPool: Map<string, string>;
}

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

/** A projected user; `RegistrarPool` undefined when the module predates it (2.0.0), null when the user has none. */
function checkProjectedUser(raw: unknown): Omit<WireUser, "ClientPolicyOwner" | "Site"> {
    const o = (raw ?? {}) as Record<string, unknown>;
    for (const k of ["Id", "SipAddress", "UserPrincipalName", "DisplayName"]) {
        if (typeof o[k] !== "string") throw Errors.internal(`The Management Shell's user projection has no ${k}; is the gateway module current?`);
    }
    const cp = o.ClientPolicy;
    if (cp !== null && cp !== undefined && typeof cp !== "string") throw Errors.internal("The Management Shell's user projection has a non-string ClientPolicy.");
    const pool = o.RegistrarPool;
    if (pool !== null && pool !== undefined && typeof pool !== "string") throw Errors.internal("The Management Shell's user projection has a non-string RegistrarPool.");
    const user = { Id: o.Id as string, SipAddress: o.SipAddress as string, UserPrincipalName: o.UserPrincipalName as string, DisplayName: o.DisplayName as string, ClientPolicy: (cp as string | null | undefined) || null };
    return pool === undefined ? user : { ...user, RegistrarPool: (pool as string | null) || null };
}

const optionalString = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/**
 * The topology from the projections of `Get-CsSite` and `Get-CsPool`. A pool's `Site` is matched to a site by its
 * identity (`Site:Redmond`), its name or display name (`Redmond`) or its `SiteId`, compared with the one folding rule;
 * a pool listed in a site's `Pools` but missing from Get-CsPool's answer still maps to that site. A pool whose site
 * matches none is left out (its users get no site, as on the emulator).
 */
export function topologyFrom(sitesRaw: unknown[], poolsRaw: unknown[]): Topology {
    const sites: WireSite[] = [];
    const siteByKey = new Map<string, string>();
    for (const raw of sitesRaw) {
        const o = (raw ?? {}) as Record<string, unknown>;
        if (typeof o.Identity !== "string" || o.Identity === "" || !Array.isArray(o.Pools) || o.Pools.some((p) => typeof p !== "string")) {
            throw Errors.internal("The Management Shell's site projection has no Identity or Pools; is the gateway module current?");
        }
        const identity = o.Identity;
        sites.push({ Identity: identity, Pools: o.Pools as string[] });
        const name = identity.replace(/^site:/i, "");
        for (const k of [identity, name, `Site:${name}`, optionalString(o.DisplayName), optionalString(o.SiteId)]) {
            if (k !== null && !siteByKey.has(foldIdentity(k))) siteByKey.set(foldIdentity(k), identity);
        }
    }
    const siteOfPool = new Map<string, string>();
    for (const raw of poolsRaw) {
        const o = (raw ?? {}) as Record<string, unknown>;
        const fqdn = optionalString(o.Fqdn) ?? optionalString(o.Identity);
        const site = optionalString(o.Site);
        if (fqdn === null) throw Errors.internal("The Management Shell's pool projection has no Fqdn or Identity; is the gateway module current?");
        const identity = site === null ? undefined : siteByKey.get(foldIdentity(site));
        if (identity !== undefined) siteOfPool.set(foldIdentity(fqdn), identity);
    }
    for (const site of sites) {
        for (const pool of site.Pools) if (!siteOfPool.has(foldIdentity(pool))) siteOfPool.set(foldIdentity(pool), site.Identity);
    }
    return { sites, siteOfPool };
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
    /** The topology read last (a promise, so concurrent requests share one read) and when it was started. */
    private topology?: { value: Promise<Topology>; at: number };

    /** `audit`: where each command's audit line goes (none: not audited); `now`: the clock of the topology cache. */
    constructor(readonly id: string, private readonly shell: ShellRunner, private readonly store: SideStore, private readonly audit?: CommandAuditSink,
        private readonly now: () => number = Date.now) {
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

    // ------------------------------------------------------------------ topology

    /** Get-CsSite and Get-CsPool in one shell call, through the module's projections. */
    private async readTopology(): Promise<Topology> {
        const lines = [Ps.listSites(), Ps.listPools()];
        const [sites, pools] = await this.exec(lines);
        if (!sites.ok) throw failure(sites, lines[0]);
        if (!pools.ok) throw failure(pools, lines[1]);
        return topologyFrom(sites.output, pools.output);
    }

    /** The cached topology if it is younger than `maxAgeMs`, else a fresh read (a failed read is not kept). */
    private topologyWithin(maxAgeMs: number): Promise<Topology> {
        const now = this.now();
        if (this.topology && now - this.topology.at < maxAgeMs) return this.topology.value;
        const entry = { value: this.readTopology(), at: now };
        this.topology = entry;
        entry.value.catch(() => { if (this.topology === entry) this.topology = undefined; });
        return entry.value;
    }

    /**
     * Users with their site from the pool → site map. With `retryUnknown`, a pool the map lacks reads the topology
     * again once (when the cached one is {@link TOPOLOGY_RETRY_MS} old): a pool published since the last read.
     * `RegistrarPool` absent (module 2.0.0) leaves `Site` absent too: not reported, rather than guessed. Without
     * `retryUnknown` (reads of named users) a topology that cannot be read leaves `Site` absent as well, so a user read
     * does not fail for it; a listing fails instead, since its counts would be wrong.
     */
    private async withSites(users: Array<Omit<WireUser, "Site">>, retryUnknown: boolean): Promise<WireUser[]> {
        if (!users.some((u) => typeof u.RegistrarPool === "string")) return users.map((u) => (u.RegistrarPool === undefined ? u : { ...u, Site: null }));
        let topo: Topology;
        try {
            topo = await this.topologyWithin(TOPOLOGY_TTL_MS);
        } catch (e) {
            if (retryUnknown || !(e instanceof ApiError)) throw e;
            return users;
        }
        const unknown = (t: Topology) => users.some((u) => typeof u.RegistrarPool === "string" && !t.siteOfPool.has(foldIdentity(u.RegistrarPool)));
        if (retryUnknown && unknown(topo)) topo = await this.topologyWithin(TOPOLOGY_RETRY_MS);
        return users.map((u) => {
            if (u.RegistrarPool === undefined) return u;
            return { ...u, Site: u.RegistrarPool === null ? null : topo.siteOfPool.get(foldIdentity(u.RegistrarPool)) ?? null };
        });
    }

    /** The topology's sites (Get-CsSite), read afresh; the read also renews the cached pool → site map. */
    async listSites(): Promise<WireSite[]> {
        return (await this.topologyWithin(0)).sites;
    }

    // ------------------------------------------------------------------ users

    private withOwner(u: Omit<WireUser, "ClientPolicyOwner" | "Site">): Omit<WireUser, "Site"> {
        return { ...u, ClientPolicyOwner: this.store.assignmentOwner(this.id, u.Id, u.ClientPolicy) };
    }

    /** The users a Get-CsUser command answered (without their sites), or the error it means. */
    private usersFrom(r: CommandResult, line: ShellCommand): Array<Omit<WireUser, "Site">> {
        if (!r.ok) {
            if ("error" in r && isNotFound(r.error)) return [];
            throw failure(r, line);
        }
        return r.output.map((o) => this.withOwner(checkProjectedUser(o)));
    }

    /** Every enabled user with pool, site and owner; 501 past {@link LIST_USERS_MAX}, 500 from a module without pools. */
    async listUsers(): Promise<WireUser[]> {
        const line = Ps.listUsers(LIST_USERS_MAX + 1);
        const [r] = await this.exec([line]);
        if (!r.ok) throw failure(r, line);
        if (r.output.length > LIST_USERS_MAX) throw Errors.notImplemented(`Listing more than ${LIST_USERS_MAX} users through the gateway`);
        const users = r.output.map((o) => this.withOwner(checkProjectedUser(o)));
        if (users.some((u) => u.RegistrarPool === undefined)) {
            throw Errors.internal("The Management Shell's user projection has no RegistrarPool; is the gateway module current (2.1.0 or later)?");
        }
        return this.withSites(users, true);
    }

    async usersWithPolicy(identity: string): Promise<WireUser[]> {
        const line = Ps.usersWithPolicy(identity);
        const [r] = await this.exec([line]);
        if (!r.ok) throw failure(r, line);
        return this.withSites(r.output.map((o) => this.withOwner(checkProjectedUser(o))), false);
    }

    async findUsers(identities: readonly string[]): Promise<Array<WireUser[] | ApiError>> {
        const lines = identities.map((identity) => Ps.getUser(identity));
        const results = await this.exec(lines, false);
        const found = results.map((r, k) => {
            try {
                return this.usersFrom(r, lines[k]);
            } catch (e) {
                if (!(e instanceof ApiError)) throw e;
                return e;
            }
        });
        const sited = await this.withSites(found.flatMap((x) => (x instanceof ApiError ? [] : x)), false);
        let next = 0;
        return found.map((x) => (x instanceof ApiError ? x : x.map(() => sited[next++])));
    }

    /**
     * Grant-CsClientPolicy for each write whose user does not hold the policy yet; an assignment the user already holds
     * only changes its recorded owner. Owners are recorded once the shell confirmed the grant.
     */
    async setAssignments(writes: readonly AssignmentWrite[], readBack = false): Promise<Array<WireUser | ApiError>> {
        const lines: ShellCommand[] = [];
        const lineOf = new Map<number, number>();
        writes.forEach((w, i) => {
            if (isAssignedTo(w.user, w.policy)) return;
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
                // A grant does not move the user: the site is the one just read with it.
                if (found.length === 1) return { ...found[0], Site: w.user.Site };
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

/**
 * Shared pieces of the reliability suite: `pulumi` commands in a stack's project folder that can be
 * killed with SIGKILL, a direct read of everything a tenant holds (policies, owners, every user's assignment) to
 * compare with what a program declares, a seeded random source, and the secret scan every test ends with.
 *
 * Programs are test/e2e/programs/generic run as project folders (`openStack(..., { folder: true })`): the CLI starts
 * the language host, which runs the program in its own `node` process, as `pulumi up` in a user's folder does.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ExampleStack } from "../../testkit/stack";
import { toolPath } from "../../testkit/projectFolder";
import { call, tenantClient, userPath, POLICIES } from "../../testkit/tenantApi";
import type { TestTenant } from "../../testkit/emulator";
import { filesUnder } from "../../testkit/files";

export { filesUnder };
export { emulatorLog, scanForSecrets } from "../../testkit/secrets";
import { scanForSecrets } from "../../testkit/secrets";
import type { Entry } from "../e2e/generic";

/** One `pulumi` command's result. */
export interface CliResult {
    code: number | null;
    /** stdout and stderr together, as printed. */
    output: string;
    /** True when {@link CliOptions.killAfter} fired and the process group was sent SIGKILL before it exited. */
    killed: boolean;
    /** How the process ended: exit code or signal. */
    ended: string;
}

/** Options of a {@link Cli} call. */
export interface CliOptions {
    /**
     * Kill the whole process group (CLI, language host, program, provider plugin) with SIGKILL once the output holds
     * `count` matches of `pattern` (a global RegExp).
     */
    killAfter?: { pattern: RegExp; count: number };
    /** Milliseconds between that match and the kill. */
    killDelayMs?: number;
}

/** Runs `pulumi <args> --non-interactive --stack <stack>` in the stack's project folder; never throws on exit codes. */
export type Cli = (args: string[], opts?: CliOptions) => Promise<CliResult>;

/**
 * A `pulumi` runner for a folder-mode stack, with the stack's environment (file:// backend, passphrase, offline).
 * Every command runs in its own process group, so a kill reaches the language host, the program and the provider
 * plugin too, as a `kill -9` of a CI job's process group does. Every byte printed is appended to `log` (for the
 * secret scan).
 */
export function cliFor(h: ExampleStack, log: string[]): Cli {
    const envVars = (h.stack.workspace as unknown as { envVars: Record<string, string> }).envVars;
    const env = { ...process.env, ...envVars, PATH: toolPath(), NO_COLOR: "1" };
    return (args, opts = {}) => new Promise<CliResult>((resolve, reject) => {
        const child = spawn("pulumi", [...args, "--non-interactive", "--stack", h.stack.name], {
            cwd: h.workDir, env, detached: true, stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        let killed = false;
        const onData = (d: Buffer) => {
            output += d;
            if (process.env.E2E_VERBOSE) process.stdout.write(d);
            if (opts.killAfter && !killed && (output.match(opts.killAfter.pattern)?.length ?? 0) >= opts.killAfter.count) {
                killed = true;
                setTimeout(() => {
                    // The provider plugins and the language host run in process groups of their own: a group kill
                    // leaves them running, orphaned, so every descendant is killed by pid as well.
                    const descendants = descendantsOf(child.pid!);
                    try { process.kill(-child.pid!, "SIGKILL"); } catch { /* already gone */ }
                    for (const pid of descendants) {
                        try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
                    }
                }, opts.killDelayMs ?? 0);
            }
        };
        child.stdout!.on("data", onData);
        child.stderr!.on("data", onData);
        child.on("error", reject);
        child.on("close", (code, signal) => {
            log.push(output);
            // A kill that fired after the command had already finished is not an interruption.
            resolve({ code, output, killed: killed && signal === "SIGKILL", ended: signal ?? `exit ${code}${killed ? " before the kill" : ""}` });
        });
    });
}

/** Every live descendant of `root` (children, their children, …), from Linux `/proc`; empty elsewhere. */
export function descendantsOf(root: number): number[] {
    const parentOf = new Map<number, number>();
    let entries: string[] = [];
    try { entries = fs.readdirSync("/proc"); } catch { return []; }
    for (const e of entries) {
        if (!/^\d+$/.test(e)) continue;
        try {
            // Field 4 (ppid) follows the parenthesised command name, which may itself hold spaces.
            const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
            parentOf.set(Number(e), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
        } catch { /* exited meanwhile */ }
    }
    const out: number[] = [];
    const queue = [root];
    while (queue.length > 0) {
        const p = queue.shift()!;
        for (const [pid, ppid] of parentOf) if (ppid === p) { out.push(pid); queue.push(pid); }
    }
    return out;
}

/** Throws with the command's output unless it exited 0. */
export function ok(r: CliResult, what: string): CliResult {
    if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}${r.killed ? ", killed" : ""}):\n${r.output.slice(-6000)}`);
    return r;
}

/** Mulberry32: a small seeded PRNG, so that a failing run can be replayed with its printed seed. */
export function seededRandom(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** The seed of this run: RELIABILITY_SEED when set, else the clock. */
export function runSeed(): number {
    return process.env.RELIABILITY_SEED ? Number(process.env.RELIABILITY_SEED) : Date.now() % 1_000_000_007;
}

/** Every item of a paged collection route (follows `@nextLink`). */
async function listAll(tenant: TestTenant, route: string, tenantId?: string): Promise<any[]> {
    return tenantClient(tenant, tenantId).listAll(route);
}

/** What a tenant holds, as far as this package manages it. */
export interface TenantView {
    /** Policy identity → its wire object (settings, `@owner`). */
    policies: Map<string, Record<string, any>>;
    /** User (as listed in `users`) → the policy directly assigned (policy name without `Tag:`), or null. */
    assignments: Map<string, string | null>;
}

/** Reads every policy and the assignment of each of `users` (through the tenant API, with a token for `tenantId`). */
export async function readTenant(tenant: TestTenant, users: string[], tenantId?: string): Promise<TenantView> {
    const policies = new Map<string, Record<string, any>>();
    for (const p of await listAll(tenant, POLICIES, tenantId)) policies.set(p.Identity, p);
    const token = tenantId ? await tenant.tokenFor(tenantId) : undefined;
    const assignments = new Map<string, string | null>();
    for (const u of users) {
        const r = await call(tenant, "GET", userPath(u), token ? { token } : {});
        if (r.status !== 200) throw new Error(`GET user ${u}: ${r.status} ${r.text}`);
        assignments.set(u, r.json.ClientPolicy ?? null);
    }
    return { policies, assignments };
}

const wireName = (prop: string) => prop.charAt(0).toUpperCase() + prop.slice(1);
const tagName = (identity: string) => identity.replace(/^tag:/i, "");

/**
 * Asserts that the tenant holds exactly what `entries` declare for stack `h`: each declared policy exists once with
 * the declared settings and this stack's owner id; no other tag policy exists (nothing orphaned); Global is owned by
 * this stack when declared and otherwise has no owner; every user of `users` is assigned exactly the policy of the
 * grant that declares it, and nobody else is assigned anything (no duplicate or leftover grant).
 */
export function assertTenantMatches(view: TenantView, h: ExampleStack, entries: Entry[], users: string[], where: string): void {
    // Owner ids are `project/stack@instance/resource`: the instance is the stack's StackInstance id, one per stack.
    const instances = new Set<string>();
    const ownerMatches = (live: unknown, name: string): boolean => {
        const m = /^(.*)\/(.*)@([^/]+)\/(.*)$/.exec(String(live));
        if (!m || m[1] !== h.projectName || m[2] !== h.stack.name || m[4] !== name) return false;
        instances.add(m[3]);
        return true;
    };
    const declared = new Map<string, Entry>();
    for (const e of entries.filter((x) => x.type === "policy")) declared.set(String(e.args!.identity).toLowerCase(), e);
    for (const [identity, live] of view.policies) {
        const e = declared.get(identity.toLowerCase());
        if (identity.toLowerCase() === "global" && !e) {
            assert.equal(live["@owner"] ?? null, null, `${where}: Global still has an owner after its resource left`);
            continue;
        }
        assert.ok(e, `${where}: policy ${identity} exists in the tenant but no resource declares it (orphaned)`);
        for (const [k, v] of Object.entries(e!.args!)) {
            if (k === "identity" || k === "adopt") continue;
            assert.deepEqual(live[wireName(k)], v, `${where}: ${identity}.${k}`);
        }
        assert.ok(ownerMatches(live["@owner"], e!.name), `${where}: owner of ${identity}: ${JSON.stringify(live["@owner"])}, expected ${h.projectName}/${h.stack.name}@<instance>/${e!.name}`);
    }
    assert.ok(instances.size <= 1, `${where}: one stack instance in every owner id, got ${[...instances].join(", ")}`);
    for (const [id] of declared) assert.ok([...view.policies.keys()].some((k) => k.toLowerCase() === id), `${where}: declared policy ${id} is missing`);
    const expected = new Map<string, string>();
    const identityOf = (g: Entry) => String(g.policyFrom ? entries.find((e) => e.name === g.policyFrom)!.args!.identity : g.args!.policyName);
    for (const g of entries.filter((x) => x.type === "grant")) {
        for (const u of (g.args!.users as string[] | undefined) ?? [g.args!.user as string]) {
            assert.ok(!expected.has(u), `test bug: ${u} declared twice`);
            expected.set(u, tagName(identityOf(g)));
        }
    }
    for (const u of users) assert.equal(view.assignments.get(u) ?? null, expected.get(u) ?? null, `${where}: assignment of ${u}`);
}


/**
 * The scan every reliability test ends with: the stacks' backends (state, history, backups, locks) and workspaces
 * (stack settings), everything the CLI printed, and the emulator's log (its stdout and stderr when it runs as a child
 * process).
 */
export function assertNoSecrets(secrets: string[], stacks: ExampleStack[], cliLog: string[], emulatorLog: string): void {
    assert.ok(secrets.every((s) => s.length >= 8), "test bug: secrets must be long enough not to match by chance");
    const files = stacks.flatMap((h) => [...filesUnder(h.backendDir), ...filesUnder(h.workDir)]);
    assert.ok(files.some((f) => f.endsWith(".json") && f.includes(`${path.sep}stacks${path.sep}`)), "the scan covers at least one state file");
    assert.ok(cliLog.length > 0, "the scan covers CLI output");
    assert.deepEqual(scanForSecrets(secrets, files, { "CLI output": cliLog.join("\n"), "emulator log": emulatorLog }), {}, "secrets found in clear");
}

/** Asserts the stack's state file holds each resource once and no pending operation. */
export function assertStateClean(stateText: string, where: string): void {
    const latest = JSON.parse(stateText).checkpoint.latest ?? {};
    const urns: string[] = (latest.resources ?? []).map((r: { urn: string }) => r.urn);
    const dups = urns.filter((u, i) => urns.indexOf(u) !== i);
    assert.deepEqual(dups, [], `${where}: resources recorded twice in state`);
    assert.deepEqual((latest.pending_operations ?? []).map((p: { type: string; resource: { urn: string } }) => `${p.type} ${p.resource.urn}`), [], `${where}: pending operations left in state`);
}

/**
 * Runs the stacks of one project folder through the Automation API's local workspaces over the real Pulumi CLI:
 * `plan` = `stack.preview()`, `drift` = `stack.previewRefresh({ runProgram: true })` (`pulumi refresh --preview-only
 * --run-program`: reads the tenant, never writes state), `full` = both. At most `parallel` stacks run at once, each
 * bounded by `timeoutMs` (the CLI is cancelled). A stack whose run fails is `error` with the cause, never drifted and
 * never clean, and any changes it streamed before failing are dropped.
 *
 * Reads use today's program and configuration: a plain `pulumi refresh` configures the provider from the inputs
 * recorded in state at the last update, so after a secret rotation (`pulumi config set --secret …`) or a key added
 * after a failed `up` it would still use the old values and fail every tenant; `--run-program` registers the
 * providers from the current config (pulumi/pulumi#13860).
 *
 * A plan never reads the tenant, so in plan mode the report checks the stack's connection itself (configuration
 * complete, token granted): a stack whose tenant could not be checked is an error, never clean. In drift and full
 * mode it lists the tenant's policies, so a policy no stack of the report manages is a finding ("unmanaged").
 *
 * The fleet is the repository: a `Pulumi.<name>.yaml` or `tenants/<name>.yaml` without a stack is a new tenant; its
 * program is previewed against a throw-away backend in a temporary folder (nothing is written to the project, the
 * backend or the tenant) to list what its first `up` would create.
 *
 * Per stack the report costs one CLI run (the preview or refresh; two in full mode) and one or two tenant reads: the
 * folder's workspace is opened once ({@link openFleet}), stacks are not selected (every command names its stack), the
 * program runs in this process (cli/report/inlineRun.ts), and the configuration it was handed serves for masking and
 * the connection check (without an in-process run, one `pulumi config --show-secrets` per stack).
 */
import * as fs from "node:fs";
import * as nodeModule from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, Stack, type EngineEvent } from "@pulumi/pulumi/automation";
import { ERROR_TABLE, PROVIDER_ERROR_CLASSES, errorKindOf, errorKindOfClass } from "../../api/errors";
import { foldIdentity } from "../../api/identity";
import { NotFoundError } from "../../provider/errors";
import type { TenantClient } from "../../provider/client/tenantClient";
import { outputsFromWire } from "../../provider/resources/clientPolicy.model";
import { diffProperties, driftChanges, errorMessages, joinChanges, managedIdentities, pendingChanges, skippedTenantChecks, type EventLike } from "./changes";
import { addImpact, clientOf, readPolicies } from "./impact";
import type { WirePolicy } from "../../api/contract";
import { unreadTakeOvers, withTakeOvers } from "./takeOver";
import { statusOf, type Change, type ErrorKind, type Mode, type TenantReport } from "../../api/report";
import { causeOf, publicText } from "./text";
import { checkProgram, readProjectFile } from "./typecheck";
import { cleanAbandonedRuns, prepareCompiledRun, programCwd } from "./compiledRun";
import { prepareInlineProgram, type InlineProgram, type SeenConfig } from "./inlineRun";
import { CliError } from "../errors";
import { CONFIG_NAMESPACE, missingConfig, type KeySpec } from "../../provider/config";

/** Options of {@link runFleet}. */
export interface RunOptions {
    /** The project folder's workspace, from {@link openFleet}. */
    workspace: LocalWorkspace;
    mode: Mode;
    stacks: readonly string[];
    parallel: number;
    /** Per-stack limit in milliseconds. */
    timeoutMs: number;
    /** Count the users each change reaches (reads the tenant's assignments). */
    impact: boolean;
    /** Called with each secret config value found, so every output masks it. */
    onSecret?: (value: string) => void;
    /** Progress lines (stderr). */
    progress?: (line: string) => void;
    /** Tenants the repository declares without a stack: previewed against a throw-away backend (see the module comment). */
    newStacks?: readonly string[];
    /** Run each stack's program in its own node process (the compiled run folder) instead of in this process. */
    programProcess?: boolean;
}

/**
 * What the stacks of one fleet run use: the workspace their CLI runs in (the project's with the inline program, the
 * compiled program's run folder, or the project's own), and the inline program when the stacks' programs run here.
 */
interface FleetRun extends RunOptions {
    stackWorkspace: LocalWorkspace;
    /** `Stack.select` of the Automation API that serves the stacks' programs (the project's own, for inline programs). */
    selectStack(name: string): Promise<Stack>;
    inline?: InlineProgram;
}

/**
 * The CLI refuses `--preview-only` together with `--yes`, and `PULUMI_SKIP_CONFIRMATIONS=true` (common in CI) is a
 * `--yes`: the report's runs never confirm anything, so it is turned off for them.
 */
const RUN_ENV = { PULUMI_SKIP_CONFIRMATIONS: "false" };

/** The part of `node:module`'s compile-cache API (Node ≥ 22.10) used here; absent on older Node. */
const compileCache = nodeModule as { getCompileCacheDir?: () => string | undefined; flushCompileCache?: () => void };

/**
 * A preload for the node processes of a run that runs program processes: it sets V8's `--allow-natives-syntax` before
 * any module is compiled. @pulumi/pulumi sets that flag at run time (`runtime/closure/v8.js`, for closure
 * serialization), which changes V8's flag hash; a code-cache entry written under one hash is rejected under the
 * other, so without the preload a program process (flag set mid-start) and a provider host (set at another point)
 * reject and rewrite each other's entries of a shared cache on every stack. With the flag set from the start, every
 * process and this one (cli/compileCache.ts) compile under the same hash. A `data:` URL, so no file has to be written
 * or shipped; NODE_OPTIONS accepts `--import` (V8 flags themselves it does not).
 */
export const V8_FLAGS_PRELOAD = "--import=data:text/javascript,import{setFlagsFromString}from'node:v8';setFlagsFromString('--allow-natives-syntax')";

/** The folder, inside this process's compile-cache folder, of the provider hosts of an in-process fleet run. */
export const CHILDREN_CACHE = "children";

/**
 * Node's on-disk compile cache for the node processes a run starts: without it every stack's dynamic-provider host
 * (and program process, when there is one) compiles @pulumi/pulumi and this package again, about 0.2 s of CPU per
 * stack and process. The folder is under the one this process caches in (cli/compileCache.ts: `NODE_COMPILE_CACHE`,
 * else Node's default), shared by every stack of the run and by later runs. `NODE_DISABLE_COMPILE_CACHE` turns it off.
 *
 * - `programProcesses` (a program process per stack: `--program-process`, a program type-checked by every run, a new
 *   tenant's preview): this process's own folder, with {@link V8_FLAGS_PRELOAD} for every process, so the programs
 *   reuse what this process compiled of the SDK and the programs and provider hosts accept each other's entries.
 * - otherwise (the programs run in this process; the only node processes are the provider hosts): a folder of their
 *   own ({@link CHILDREN_CACHE}) and no preload. The hosts all set the flag at the same point of their start, so they
 *   agree with each other; the preload cost each of them about 0.06 s of CPU more than sharing this process's
 *   entries saved (bench/RESULTS.md run 8).
 */
export function compileCacheEnv(programProcesses: boolean): Record<string, string> {
    let dir = compileCache.getCompileCacheDir?.();
    if (!dir) return {};
    // Node reports the folder it caches in, `<NODE_COMPILE_CACHE>/v<node>-<arch>-<V8 cache tag>-<uid>`, and appends that
    // part itself: handed on as it is, the children would cache one level further down.
    if (path.basename(dir).startsWith(`v${process.versions.node}-`)) dir = path.dirname(dir);
    const inherited = (process.env.NODE_OPTIONS ?? "").replace(V8_FLAGS_PRELOAD, "").trim();
    return programProcesses
        ? { NODE_COMPILE_CACHE: dir, NODE_OPTIONS: `${inherited} ${V8_FLAGS_PRELOAD}`.trim() }
        : { NODE_COMPILE_CACHE: path.join(dir, CHILDREN_CACHE), NODE_OPTIONS: inherited };
}

/**
 * Opens the project folder once for a whole report: one `pulumi version` for every stack, and stack selection turned
 * off. Every command the Automation API runs names its stack (`--stack`), the stacks come from {@link listStacks} of
 * this workspace, and `pulumi stack select` would start the CLI once more per stack and rewrite the folder's
 * current-stack setting from parallel runs.
 */
export async function openFleet(workDir: string, env?: Record<string, string>): Promise<LocalWorkspace> {
    const ws = await LocalWorkspace.create({ workDir, envVars: { ...env, ...RUN_ENV, ...compileCacheEnv(true) } });
    ws.selectStack = async () => {};
    return ws;
}

/** When a failure names several kinds, the one reported: what the operator must fix first. */
const KIND_ORDER: readonly ErrorKind[] = ["auth", "throttled", "unreachable", "config", "failed"];

/**
 * Words of the Pulumi CLI's and the provider's messages that carry no error code: the CLI's own failures (the secrets
 * passphrase, an HTTP status in the engine's words) and the provider's wrapped token errors.
 */
const PHRASES: ReadonlyArray<readonly [ErrorKind, RegExp]> = [
    ["auth", /\b(unauthori[sz]ed|401|403|forbidden|secret was rejected|authentication failed)\b/i],
    ["throttled", /\b(throttled|429|too many requests)\b/i],
    ["unreachable", /\b(unreachable|fetch failed|socket hang up)\b/i],
    ["config", /\b(not configured|passphrase)\b/i],
];

/** The error table's codes and provider error classes, as whole words of a message (`AuthError: … → 401 Unauthorized`). */
const CODE_WORDS = new RegExp(`\\b(${[...Object.keys(ERROR_TABLE), ...PROVIDER_ERROR_CLASSES].join("|")})\\b`, "g");

/**
 * Sorts a failure into an error kind: the error table's kinds (api/errors.ts) of the error codes and provider error
 * classes its messages name, and the kinds of the words of messages that carry none ({@link PHRASES}); of several, the
 * first of {@link KIND_ORDER}.
 */
export function classifyError(messages: readonly string[], timedOut: boolean): ErrorKind {
    if (timedOut) return "timeout";
    const text = messages.join("\n");
    const found = new Set<ErrorKind>();
    for (const m of text.matchAll(CODE_WORDS)) {
        const kind = errorKindOf(m[1]) ?? errorKindOfClass(m[1]);
        if (kind) found.add(kind);
    }
    for (const [kind, re] of PHRASES) if (re.test(text)) found.add(kind);
    return KIND_ORDER.find((k) => found.has(k)) ?? "failed";
}

/**
 * The tenant-facing error kind of an exception thrown by the tenant client or the config resolution: its code's, else
 * its class's (the error table's), else what its message says.
 */
function kindOfError(e: unknown): ErrorKind {
    const { name, code, message } = (e ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
    const kind = (typeof code === "string" ? errorKindOf(code) : undefined) ?? (typeof name === "string" ? errorKindOfClass(name) : undefined);
    return kind ?? classifyError([`${String(name ?? "")}: ${typeof message === "string" ? message : String(e)}`], false);
}

/**
 * The stack's configuration, its secret values handed to `onSecret` for masking: as the engine handed it to the
 * stack's inline program run (`seen`), else `pulumi config --show-secrets`.
 */
async function stackConfig(stack: Stack, o: Pick<RunOptions, "onSecret">, seen?: SeenConfig): Promise<Record<string, string>> {
    const config: Record<string, string> = {};
    const entries = seen
        ? Object.entries(seen.values).map(([k, value]) => [k, { value, secret: seen.secretKeys.has(k) }] as const)
        : Object.entries(await stack.getAllConfig());
    for (const [k, v] of entries) {
        config[k] = v.value;
        if (v.secret && v.value) o.onSecret?.(v.value);
    }
    return config;
}

/** Whether the stack's configuration today is complete and the tenant grants it a token. */
async function currentConfigWorks(config: Record<string, string>): Promise<boolean> {
    try {
        await clientOf(config).token();
        return true;
    } catch {
        return false;
    }
}

/**
 * Plan mode compares code with state only, so it checks what `up` will meet: each policy the code updates is read
 * from the tenant (one GET) and, when its ETag is no longer the one in state (someone changed it since the stack last
 * read it), the change is marked `refreshFirst` (the provider's write sends that ETag as `If-Match`, so `up` stops
 * there) with the tenant's values of the properties that moved as drift properties.
 */
async function markStale(changes: Change[], events: readonly EventLike[], client: TenantClient): Promise<Change[]> {
    const stateOf = new Map<string, Record<string, unknown>>();
    for (const e of events) {
        const m = e.resourcePreEvent?.metadata;
        if (m?.old?.outputs) stateOf.set(m.urn, m.old.outputs);
    }
    const out: Change[] = [];
    for (const c of changes) {
        const state = stateOf.get(c.urn);
        if (c.type !== "ClientPolicy" || c.op !== "update" || !c.identity || typeof state?.etag !== "string") {
            out.push(c);
            continue;
        }
        let live: Awaited<ReturnType<TenantClient["getPolicy"]>> | undefined;
        try {
            live = await client.getPolicy(c.identity);
        } catch (e) {
            if (!(e instanceof NotFoundError)) throw e;
        }
        if (live && live.etag === state.etag) {
            out.push(c);
            continue;
        }
        // Gone from the tenant, or changed there: the drifted values, then the code's changes on top.
        const tenantNow = live ? outputsFromWire(live.policy, live.etag, state, live.owner) as unknown as Record<string, unknown> : {};
        const drift = live ? diffProperties(state, tenantNow, "drift") : [];
        out.push(joinChanges([{ ...c, kind: "drift", properties: drift }], [c])[0]);
    }
    return out;
}

/** What one stack's run found, with what the fleet needs to find unmanaged policies. */
interface StackRun {
    report: TenantReport;
    /** `endpoint\u0000tenantId` of the stack's connection, when the tenant was read. */
    tenantKey?: string;
    /** Policies this stack manages (lower-case, without `Tag:`). */
    managed?: Set<string>;
    /** The tenant's policies as it spells them. */
    tenantPolicies?: string[];
}

function failed(stack: string, started: number, kind: ErrorKind, message: string, extra: Partial<TenantReport> = {}): TenantReport {
    return { stack, status: "error", durationMs: Date.now() - started, error: { kind, message }, changes: [], suppressed: [], ...extra };
}

async function runOne(stackName: string, o: FleetRun): Promise<StackRun> {
    const started = Date.now();
    const events: EventLike[] = [];
    const seen: EventLike[] = [];
    const onEvent = (e: EngineEvent) => events.push(e as unknown as EventLike);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, o.timeoutMs);
    const projectDir = o.workspace.workDir;
    o.inline?.forget(stackName);
    try {
        const stack = await o.selectStack(stackName);
        let changes: Change[];
        const refresh = () => stack.previewRefresh({ onEvent, signal: controller.signal, runProgram: true });
        if (o.mode === "drift") {
            await refresh();
            changes = driftChanges(events);
        } else if (o.mode === "plan") {
            await stack.preview({ onEvent, signal: controller.signal });
            changes = pendingChanges(events);
        } else {
            await refresh();
            const drift = driftChanges(events);
            seen.push(...events);
            events.length = 0;
            await stack.preview({ onEvent, signal: controller.signal });
            changes = joinChanges(drift, pendingChanges(events));
        }
        seen.push(...events);
        const config = await stackConfig(stack, o, o.inline?.configOf(stackName));
        // A preview that could not read the tenant warned instead of failing (clientpolicy:strict off): its plan is
        // unverified, whatever the report's own connection check below finds.
        const skipped = skippedTenantChecks(seen);
        if (skipped.length > 0) {
            const kind: ErrorKind = skipped.some((s) => s.reason === "credentials rejected") ? "auth"
                : skipped.some((s) => s.reason === "unreachable") ? "unreachable" : "config";
            const why = skipped.map((s) => `${s.reason}: ${publicText(s.detail, projectDir)}`).join("; ");
            return { report: failed(stackName, started, kind, `the tenant could not be checked, so this plan is unverified: the preview skipped the tenant checks (${why})`) };
        }
        // The tenant, read with the stack's configuration: the connection check of a plan (which reads nothing
        // itself) and the policy list for unmanaged objects in drift and full mode.
        let tenantPolicies: string[] | undefined;
        let tenantKey: string | undefined;
        try {
            const client = clientOf(config);
            // Drift and full mode list the tenant's policies anyway; a take-over in full mode reads that one list.
            let policies: Promise<WirePolicy[]> | undefined;
            if (o.mode === "plan") {
                await client.token();
                changes = await markStale(changes, seen, client);
            } else {
                policies = readPolicies(client);
                tenantPolicies = (await policies).map((p) => p.Identity);
            }
            if (o.mode !== "drift") changes = await withTakeOvers(changes, () => policies ?? readPolicies(client));
            tenantKey = `${client.endpoint}\u0000${client.tenantId.toLowerCase()}`;
        } catch (e) {
            const kind = kindOfError(e);
            const why = causeOf([(e as Error).message ?? String(e)], projectDir);
            return { report: failed(stackName, started, kind, `the tenant could not be checked, so this plan is unverified: ${why}`) };
        }
        if (changes.length > 0 && o.impact) changes = await addImpact(changes, config);
        const t: TenantReport = { stack: stackName, status: "clean", durationMs: Date.now() - started, changes, suppressed: [] };
        return { report: { ...t, status: statusOf(t) }, tenantKey, tenantPolicies, managed: managedIdentities(seen) };
    } catch (e) {
        // The secrets are masked before any message of this stack is shown; a config that cannot be read masks nothing.
        const config = await o.selectStack(stackName).then((s) => stackConfig(s, o, o.inline?.configOf(stackName))).catch(() => undefined);
        const messages = [...errorMessages(events)];
        const err = e as { stderr?: string; message?: string };
        if (messages.length === 0) messages.push(err.stderr || err.message || String(e));
        const kind = classifyError(messages, timedOut);
        let message = kind === "timeout" ? `no answer within ${Math.round(o.timeoutMs / 1000)} s (the run was cancelled)` : causeOf(messages, projectDir);
        if ((kind === "auth" || kind === "config") && config && await currentConfigWorks(config)) {
            // Today's configuration is accepted by the tenant, so the failing step used the provider configuration
            // recorded in state (a resource the program no longer declares is read and deleted with the provider of
            // its last update). Recording today's configuration fixes it.
            message += `\nThe stack's current configuration is accepted by the tenant: this failure came from the provider configuration recorded in state at the last update. ` +
                `Run \`pulumi up --stack ${stackName}\` (or \`pulumi refresh --run-program --stack ${stackName}\`) to record today's configuration.`;
        }
        return { report: failed(stackName, started, kind, message) };
    } finally {
        clearTimeout(timer);
    }
}

/**
 * A tenant the repository declares without a stack: its program previewed as stack `name` on a throw-away file://
 * backend with its own PULUMI_HOME, so neither the project's backend nor its current-stack setting is touched.
 * `pulumi stack init` may write `Pulumi.<name>.yaml` (or an encryption salt into it): the file is put back as it was.
 */
async function runNew(name: string, o: RunOptions): Promise<TenantReport> {
    const started = Date.now();
    const projectDir = o.workspace.workDir;
    const files = declaringFiles(projectDir, name);
    const onboarding = { files, command: onboardingCommand(name, []) };
    const configFile = path.join(projectDir, `Pulumi.${name}.yaml`);
    const original = fs.existsSync(configFile) ? fs.readFileSync(configFile) : undefined;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "clientpolicy-new-tenant-"));
    const events: EventLike[] = [];
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, o.timeoutMs);
    try {
        fs.mkdirSync(path.join(tmp, "home"));
        const ws = await LocalWorkspace.create({
            workDir: projectDir,
            // The fleet's settings (transpile-only after the fleet's type check, the compile cache) on a private backend.
            envVars: { ...o.workspace.envVars, PULUMI_BACKEND_URL: `file://${tmp}`, PULUMI_HOME: path.join(tmp, "home") },
        });
        const stack = await Stack.create(name, ws);
        const config = await stackConfig(stack, o).catch(() => undefined);
        await stack.preview({ onEvent: (e) => events.push(e as unknown as EventLike), signal: controller.signal });
        let changes = pendingChanges(events);
        // What the first `up` changes in the tenant: Global (and any adopted policy) is taken over, not created. A new
        // tenant's connection is often not configured yet (its secret is set after `pulumi stack init`): then its
        // Global is shown as taken over with the code's values only, and the report says why it was not read.
        let tenantNotRead: string | undefined;
        // As clientOf reads it: the stack config only (the report's environment is not the tenant's).
        const missing = config ? missingConfig({ get: (k) => config[k] }, {}) : [];
        if (!config || missing.length > 0) {
            tenantNotRead = config ? `its connection is not configured yet: missing ${missing.map((k) => `${CONFIG_NAMESPACE}:${k.key}`).join(", ")}`
                : "its stack configuration could not be read";
            changes = unreadTakeOvers(changes);
            onboarding.command = onboardingCommand(name, missing);
        } else {
            try {
                const client = clientOf(config);
                changes = await withTakeOvers(changes, () => readPolicies(client));
            } catch (e) {
                // Configured, and the tenant refused or did not answer: as for any stack, an error (never "new").
                const why = causeOf([(e as Error).message ?? String(e)], projectDir);
                return failed(name, started, kindOfError(e), `new tenant, no stack yet; its tenant could not be read: ${why}`, { onboarding });
            }
        }
        changes = changes.map((c) => (c.type === "ClientPolicy" && c.op === "create" && !/^global$/i.test(c.identity ?? "")
            ? { ...c, impact: { scope: "tag" as const, users: 0, text: "new policy" } } : c));
        const t: TenantReport = { stack: name, status: "new", durationMs: Date.now() - started, changes, suppressed: [], onboarding: { ...onboarding, ...(tenantNotRead ? { tenantNotRead } : {}) } };
        return { ...t, status: statusOf(t) };
    } catch (e) {
        const messages = [...errorMessages(events)];
        const err = e as { stderr?: string; message?: string };
        if (messages.length === 0) messages.push(err.stderr || err.message || String(e));
        const kind = classifyError(messages, timedOut);
        return failed(name, started, kind, `new tenant, no stack yet; its preview failed: ${causeOf(messages, projectDir)}`, { onboarding });
    } finally {
        clearTimeout(timer);
        if (original === undefined) fs.rmSync(configFile, { force: true });
        else if (!fs.existsSync(configFile) || !fs.readFileSync(configFile).equals(original)) fs.writeFileSync(configFile, original);
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/**
 * The commands that create a new tenant's stack: `pulumi stack init`, a `pulumi config set` for each connection key
 * its configuration lacks (a secret through stdin from its environment variable, never on the command line), then
 * `pulumi up`.
 */
function onboardingCommand(name: string, missing: readonly KeySpec[]): string {
    const set = missing.map((k) => k.secret
        ? `printf '%s' "$${k.env}" | pulumi config set --stack ${name} --secret ${CONFIG_NAMESPACE}:${k.key}`
        : `pulumi config set --stack ${name} ${CONFIG_NAMESPACE}:${k.key} '${k.example}'`);
    return [`pulumi stack init ${name}`, ...set, `pulumi up --stack ${name}`].join(" && ");
}

/** The files of the project that declare tenant `name`, relative to the project. */
function declaringFiles(projectDir: string, name: string): string[] {
    return [`Pulumi.${name}.yaml`, `Pulumi.${name}.yml`, `tenants/${name}.yaml`, `tenants/${name}.yml`]
        .filter((f) => fs.existsSync(path.join(projectDir, f)));
}

/**
 * Tenants the repository declares: a stack config file `Pulumi.<name>.yaml` or a tenant file `tenants/<name>.yaml`
 * (the config-repo layout, docs/config-repo.md). Sorted, unique.
 */
export function declaredTenants(projectDir: string): string[] {
    const names = new Set<string>();
    for (const f of fs.readdirSync(projectDir)) {
        const m = /^Pulumi\.(.+)\.ya?ml$/.exec(f);
        if (m) names.add(m[1]);
    }
    const tenants = path.join(projectDir, "tenants");
    if (fs.existsSync(tenants) && fs.statSync(tenants).isDirectory()) {
        for (const f of fs.readdirSync(tenants)) {
            const m = /^(.+)\.ya?ml$/.exec(f);
            if (m) names.add(m[1]);
        }
    }
    return [...names].sort();
}

/**
 * Policies in a tenant that no stack of this run manages (Global always exists and is never one), as drift findings
 * with the command that takes them into code. Stacks on the same tenant (endpoint and tenant id) share one set.
 */
function addUnmanaged(runs: StackRun[]): void {
    const managedBy = new Map<string, Set<string>>();
    for (const r of runs) {
        if (!r.tenantKey || !r.managed) continue;
        const set = managedBy.get(r.tenantKey) ?? new Set<string>();
        for (const id of r.managed) set.add(id);
        managedBy.set(r.tenantKey, set);
    }
    const reported = new Set<string>();
    for (const r of runs) {
        if (!r.tenantKey || !r.tenantPolicies) continue;
        const managed = managedBy.get(r.tenantKey)!;
        const found: Change[] = [];
        for (const id of r.tenantPolicies) {
            const key = foldIdentity(id.replace(/^Tag:/i, ""));
            if (key === foldIdentity("Global") || managed.has(key) || reported.has(`${r.tenantKey}\u0000${key}`)) continue;
            reported.add(`${r.tenantKey}\u0000${key}`);
            const identity = /^(Global|Tag:|Site:)/i.test(id) ? id : `Tag:${id}`;
            found.push({
                kind: "drift", op: "create", urn: `unmanaged::${identity}`, type: "ClientPolicy", name: identity, identity, properties: [], unmanaged: true,
                hint: `clientpolicy export --stack ${r.report.stack} --format yaml (declare it with adopt: true), or accept it in drift-accept.yaml`,
            });
        }
        if (found.length === 0) continue;
        const changes = [...r.report.changes, ...found];
        r.report = { ...r.report, changes, status: statusOf({ ...r.report, changes }) };
    }
}

/**
 * Type-checks the fleet's program once ({@link checkProgram}) and, when it passes, prepares how every stack runs its
 * emitted JavaScript, so no stack loads TypeScript: in this process as the Automation API's inline program
 * (cli/report/inlineRun.ts), no program process per stack; with `programProcess` (or when the project's
 * @pulumi/pulumi cannot serve inline programs side by side), in a program process per stack from a run folder
 * (cli/report/compiledRun.ts). Where neither applies (an ES module package), transpile-only
 * (`PULUMI_NODEJS_TRANSPILE_ONLY=true`, read by @pulumi/pulumi's runner under any language host), which is also how
 * new tenants' previews run.
 * Type errors stop the fleet before any stack runs: one error naming each file and line, not one per stack.
 * When the check cannot run (no TypeScript found from the program), the stacks type-check themselves as before.
 */
export async function checkFleetProgram(o: Pick<RunOptions, "workspace" | "progress" | "programProcess">, stackCount: number): Promise<FleetProgram> {
    const env = o.workspace.envVars;
    // A killed `--program-process` run leaves its folder in the project; the next run removes it, whatever its mode.
    for (const dir of cleanAbandonedRuns(o.workspace.workDir)) o.progress?.(`removed ${path.relative(o.workspace.workDir, dir)} (left by a run that was killed)`);
    const started = Date.now();
    const r = checkProgram(o.workspace.workDir, { ...process.env, ...env }, true);
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (r.kind === "errors") {
        throw new CliError(`the program does not type-check (${r.entry}, checked once for ${stackCount} stack(s); no stack was run):\n${r.text}`);
    }
    const own: FleetProgram = { workspace: o.workspace, selectStack: (name) => Stack.select(name, o.workspace), dispose: () => {} };
    if (r.kind === "unavailable") {
        o.progress?.(`program not type-checked up front (${r.reason}); every stack type-checks it`);
        return own;
    }
    if (r.kind !== "ok") return own;
    env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
    const checked = `program ${r.entry} type-checked once (${r.files} file(s), TypeScript ${r.typescript}, ${took})`;
    if (!r.emitted) {
        o.progress?.(`${checked}; stacks run transpile-only`);
        return own;
    }
    const projectDir = o.workspace.workDir;
    const entry = path.resolve(projectDir, r.entry);
    const inline = o.programProcess ? undefined : prepareInlineProgram(projectDir, programCwd(projectDir, projectMain(projectDir)), entry, r.emitted);
    if (inline) {
        try {
            const workspace = await inline.automation.LocalWorkspace.create({
                workDir: projectDir, program: inline.program, envVars: { ...env, ...compileCacheEnv(false) },
                // The fleet's CLI, already found and versioned (one `pulumi version` less).
                pulumiCommand: o.workspace.pulumiCommand as never,
            }) as unknown as LocalWorkspace;
            workspace.selectStack = async () => {};
            const { Stack: ProjectStack } = inline.automation;
            o.progress?.(`${checked}; stacks run its JavaScript in this process (one load of the SDK for every stack; --program-process for one process per stack)`);
            return { workspace, inline, selectStack: async (name) => await ProjectStack.select(name, workspace as never) as unknown as Stack, dispose: inline.dispose };
        } catch (e) {
            inline.dispose();
            throw e;
        }
    }
    // The program processes share this process's compile cache ({@link compileCacheEnv}): what it compiled so far (the
    // SDK) is written out before the first of them starts.
    compileCache.flushCompileCache?.();
    const compiled = prepareCompiledRun(projectDir, entry, r.emitted);
    try {
        const workspace = await LocalWorkspace.create({ workDir: compiled.workDir, envVars: { ...env }, pulumiCommand: o.workspace.pulumiCommand });
        workspace.selectStack = async () => {};
        o.progress?.(`${checked}; stacks run its compiled JavaScript (${path.relative(projectDir, compiled.workDir)}, removed at the end)`);
        return { workspace, selectStack: (name) => Stack.select(name, workspace), dispose: compiled.dispose };
    } catch (e) {
        compiled.dispose();
        throw e;
    }
}

/** How the stacks of a fleet run run the program ({@link checkFleetProgram}); `dispose()` when the run ends. */
export interface FleetProgram {
    workspace: LocalWorkspace;
    selectStack(name: string): Promise<Stack>;
    inline?: InlineProgram;
    dispose(): void;
}

/** The project's `main` (Pulumi.yaml), if any. */
function projectMain(projectDir: string): unknown {
    const doc = readProjectFile(projectDir)?.doc;
    return typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>).main : undefined;
}

/** Runs every stack, `parallel` at a time, after the fleet's type check; results in the order of `stacks`. */
export async function runFleet(o: RunOptions): Promise<TenantReport[]> {
    const newStacks = new Set(o.newStacks ?? []);
    const names = [...o.stacks, ...newStacks];
    if (names.length === 0) return [];
    const program = await checkFleetProgram(o, names.length);
    const fleet: FleetRun = { ...o, stackWorkspace: program.workspace, selectStack: program.selectStack, inline: program.inline };
    const results: StackRun[] = new Array(names.length);
    const running = new Set<string>();
    let next = 0;
    let done = 0;
    const worker = async () => {
        while (next < names.length) {
            const i = next++;
            const name = names[i];
            running.add(name);
            o.progress?.(`[${done}/${names.length}] ${newStacks.has(name) ? "new tenant (preview on a throw-away backend)" : o.mode} ${name} started (running: ${[...running].join(", ")})`);
            results[i] = newStacks.has(name) ? { report: await runNew(name, o) } : await runOne(name, fleet);
            running.delete(name);
            done++;
            const r = results[i].report;
            o.progress?.(`[${done}/${names.length}] ${name}: ${r.status}${r.error ? ` (${r.error.kind})` : r.changes.length ? ` (${r.changes.length} change(s))` : ""} in ${(r.durationMs / 1000).toFixed(1)} s`);
        }
    };
    try {
        await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel, names.length)) }, worker));
    } finally {
        program.dispose();
    }
    addUnmanaged(results);
    return results.map((r) => r.report);
}

/** Every stack of the project folder, sorted (`pulumi stack ls`). */
export async function listStacks(ws: LocalWorkspace): Promise<string[]> {
    return (await ws.listStacks()).map((s) => s.name).sort();
}

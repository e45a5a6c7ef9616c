/**
 * Runs the stacks of one project folder through the Automation API's local workspaces over the real Pulumi CLI:
 * `plan` = `stack.preview()`, `drift` = `stack.previewRefresh()` (`pulumi refresh --preview-only`: reads the tenant,
 * never writes state), `full` = both. At most `parallel` stacks run at once, each bounded by `timeoutMs` (the CLI is
 * cancelled). A stack whose run fails is `error` with the reason, never drifted and never clean, and any changes it
 * streamed before failing are dropped.
 *
 * Per stack the report costs one CLI run (the preview or refresh) and, only for a stack with changes or an error, one
 * `pulumi config` (secrets to mask, the connection for impact): the folder's workspace is opened once
 * ({@link openFleet}) and stacks are not selected, since every command names its stack.
 */
import * as nodeModule from "node:module";
import { LocalWorkspace, Stack, type EngineEvent } from "@pulumi/pulumi/automation";
import { driftChanges, errorMessages, joinChanges, pendingChanges, type EventLike } from "./changes";
import { addImpact } from "./impact";
import { statusOf, type Change, type ErrorKind, type Mode, type TenantReport } from "./model";

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
}

/**
 * The CLI refuses `--preview-only` together with `--yes`, and `PULUMI_SKIP_CONFIRMATIONS=true` (common in CI) is a
 * `--yes`: the report's runs never confirm anything, so it is turned off for them.
 */
const RUN_ENV = { PULUMI_SKIP_CONFIRMATIONS: "false" };

/** The part of `node:module`'s compile-cache API (Node ≥ 22.10) used here; absent on older Node. */
const compileCache = nodeModule as { getCompileCacheDir?: () => string | undefined; flushCompileCache?: () => void };

/**
 * Node's on-disk compile cache for the CLI's node processes: every stack starts the same dynamic-provider host, which
 * compiles @pulumi/pulumi (TypeScript included) and this package again, about 0.45 s of CPU per stack. The runs share
 * the directory this process caches in (cli/compileCache.ts: `NODE_COMPILE_CACHE`, else Node's default), so the SDK
 * this process already compiled is there before the first stack starts. `NODE_DISABLE_COMPILE_CACHE` turns it off.
 */
export function compileCacheEnv(): Record<string, string> {
    const dir = compileCache.getCompileCacheDir?.();
    if (!dir) return {};
    compileCache.flushCompileCache?.();
    return { NODE_COMPILE_CACHE: dir };
}

/**
 * Opens the project folder once for a whole report: one `pulumi version` for every stack, and stack selection turned
 * off. Every command the Automation API runs names its stack (`--stack`), the stacks come from {@link listStacks} of
 * this workspace, and `pulumi stack select` would start the CLI once more per stack and rewrite the folder's
 * current-stack setting from parallel runs.
 */
export async function openFleet(workDir: string, env?: Record<string, string>): Promise<LocalWorkspace> {
    const ws = await LocalWorkspace.create({ workDir, envVars: { ...env, ...RUN_ENV, ...compileCacheEnv() } });
    ws.selectStack = async () => {};
    return ws;
}

/** Sorts a failure into an error kind from the engine's and the CLI's messages. */
export function classifyError(messages: readonly string[], timedOut: boolean): ErrorKind {
    if (timedOut) return "timeout";
    const text = messages.join("\n");
    if (/\b(AuthError|invalid_client|unauthori[sz]ed|401|403|forbidden|secret was rejected|authentication failed)\b/i.test(text)) return "auth";
    if (/\b(ThrottledError|throttled|429|too many requests)\b/i.test(text)) return "throttled";
    if (/\b(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|ETIMEDOUT|EAI_AGAIN|unreachable|fetch failed|TransportError|socket hang up)\b/i.test(text)) return "unreachable";
    if (/\b(ConfigError|MissingConfiguration|InvalidConfiguration|not configured|passphrase)\b/i.test(text)) return "config";
    return "failed";
}

/** The most telling line of a failure: the provider's own error over the CLI's generic ones. */
function reasonOf(messages: readonly string[]): string {
    const lines = messages.flatMap((m) => m.split("\n")).map((l) => l.trim()).filter(Boolean)
        .filter((l) => !/^(error: )?(update failed|preview failed|refresh failed)$/i.test(l) && !/^at\s/.test(l));
    const best = lines.find((l) => /(Error|error:|failed|refused|denied|throttled|invalid)/i.test(l)) ?? lines[0] ?? "the run failed without a message";
    return best.length > 500 ? best.slice(0, 499) + "…" : best;
}

/** The stack's configuration (`pulumi config --show-secrets`), its secret values handed to `onSecret` for masking. */
async function stackConfig(stack: Stack, o: RunOptions): Promise<Record<string, string>> {
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(await stack.getAllConfig())) {
        config[k] = v.value;
        if (v.secret && v.value) o.onSecret?.(v.value);
    }
    return config;
}

async function runOne(stackName: string, o: RunOptions): Promise<TenantReport> {
    const started = Date.now();
    const events: EventLike[] = [];
    const onEvent = (e: EngineEvent) => events.push(e as unknown as EventLike);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, o.timeoutMs);
    try {
        const stack = await Stack.select(stackName, o.workspace);
        let changes: Change[];
        if (o.mode === "drift") {
            await stack.previewRefresh({ onEvent, signal: controller.signal });
            changes = driftChanges(events);
        } else if (o.mode === "plan") {
            await stack.preview({ onEvent, signal: controller.signal });
            changes = pendingChanges(events);
        } else {
            await stack.previewRefresh({ onEvent, signal: controller.signal });
            const drift = driftChanges(events);
            events.length = 0;
            await stack.preview({ onEvent, signal: controller.signal });
            changes = joinChanges(drift, pendingChanges(events));
        }
        if (changes.length > 0) {
            const config = await stackConfig(stack, o);
            if (o.impact) changes = await addImpact(changes, config);
        }
        const t: TenantReport = { stack: stackName, status: "clean", durationMs: Date.now() - started, changes, suppressed: [] };
        return { ...t, status: statusOf(t) };
    } catch (e) {
        // The secrets are masked before any message of this stack is shown; a config that cannot be read masks nothing.
        await stackConfig(await Stack.select(stackName, o.workspace), o).catch(() => undefined);
        const messages = [...errorMessages(events)];
        const err = e as { stderr?: string; message?: string };
        if (messages.length === 0) messages.push(err.stderr || err.message || String(e));
        const kind = classifyError(messages, timedOut);
        const message = kind === "timeout" ? `no answer within ${Math.round(o.timeoutMs / 1000)} s (the run was cancelled)` : reasonOf(messages);
        return { stack: stackName, status: "error", durationMs: Date.now() - started, error: { kind, message }, changes: [], suppressed: [] };
    } finally {
        clearTimeout(timer);
    }
}

/** Runs every stack, `parallel` at a time; results in the order of `stacks`. */
export async function runFleet(o: RunOptions): Promise<TenantReport[]> {
    const results: TenantReport[] = new Array(o.stacks.length);
    const running = new Set<string>();
    let next = 0;
    let done = 0;
    const worker = async () => {
        while (next < o.stacks.length) {
            const i = next++;
            const name = o.stacks[i];
            running.add(name);
            o.progress?.(`[${done}/${o.stacks.length}] ${o.mode} ${name} started (running: ${[...running].join(", ")})`);
            results[i] = await runOne(name, o);
            running.delete(name);
            done++;
            const r = results[i];
            o.progress?.(`[${done}/${o.stacks.length}] ${name}: ${r.status}${r.error ? ` (${r.error.kind})` : r.changes.length ? ` (${r.changes.length} change(s))` : ""} in ${(r.durationMs / 1000).toFixed(1)} s`);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel, o.stacks.length)) }, worker));
    return results;
}

/** Every stack of the project folder, sorted (`pulumi stack ls`). */
export async function listStacks(ws: LocalWorkspace): Promise<string[]> {
    return (await ws.listStacks()).map((s) => s.name).sort();
}

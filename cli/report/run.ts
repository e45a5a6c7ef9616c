/**
 * Runs the stacks of one project folder through the Automation API's local workspaces over the real Pulumi CLI:
 * `plan` = `stack.preview()`, `drift` = `stack.previewRefresh()` (`pulumi refresh --preview-only`: reads the tenant,
 * never writes state), `full` = both. At most `parallel` stacks run at once, each bounded by `timeoutMs` (the CLI is
 * cancelled). A stack whose run fails is `error` with the reason, never drifted and never clean, and any changes it
 * streamed before failing are dropped.
 */
import { LocalWorkspace, type EngineEvent } from "@pulumi/pulumi/automation";
import { driftChanges, errorMessages, joinChanges, pendingChanges, type EventLike } from "./changes";
import { addImpact } from "./impact";
import { statusOf, type Change, type ErrorKind, type Mode, type TenantReport } from "./model";

/** Options of {@link runFleet}. */
export interface RunOptions {
    /** The Pulumi project folder (Pulumi.yaml). */
    workDir: string;
    mode: Mode;
    stacks: readonly string[];
    parallel: number;
    /** Per-stack limit in milliseconds. */
    timeoutMs: number;
    /** Count the users each change reaches (reads the tenant's assignments). */
    impact: boolean;
    /** Extra environment for the CLI. */
    env?: Record<string, string>;
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

async function runOne(stackName: string, o: RunOptions): Promise<TenantReport> {
    const started = Date.now();
    const events: EventLike[] = [];
    const onEvent = (e: EngineEvent) => events.push(e as unknown as EventLike);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, o.timeoutMs);
    try {
        const stack = await LocalWorkspace.selectStack({ stackName, workDir: o.workDir }, { envVars: { ...o.env, ...RUN_ENV } });
        const config: Record<string, string> = {};
        for (const [k, v] of Object.entries(await stack.getAllConfig())) {
            config[k] = v.value;
            if (v.secret && v.value) o.onSecret?.(v.value);
        }
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
        if (o.impact && changes.length > 0) changes = await addImpact(changes, config);
        const t: TenantReport = { stack: stackName, status: "clean", durationMs: Date.now() - started, changes, suppressed: [] };
        return { ...t, status: statusOf(t) };
    } catch (e) {
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
export async function listStacks(workDir: string, env?: Record<string, string>): Promise<string[]> {
    const ws = await LocalWorkspace.create({ workDir, envVars: { ...env, ...RUN_ENV } });
    return (await ws.listStacks()).map((s) => s.name).sort();
}

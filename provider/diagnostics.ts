/**
 * Diagnostics the provider sends to the Pulumi engine from inside the dynamic provider host.
 *
 * The SDK's `pulumi.log` does not work there: the host (`@pulumi/pulumi/cmd/dynamic-provider`) never tells the SDK the
 * engine's address, so `pulumi.log.warn` falls back to `console.warn`, which the engine shows as an unattributed line
 * of the provider's stderr (severity `info#err` in engine events). The host *is* started with the engine's address
 * as its argument, and the engine's `Log` RPC takes a severity and a resource URN, so a message sent there is a real
 * warning (severity `warning` in engine events, counted by the CLI) and, with a URN, shown under that resource.
 *
 * The dynamic provider API does not hand the resource's URN to check() or the CRUD methods; {@link resourceUrn}
 * rebuilds it from the owner id (`project/stack/resource`) the resource class records, for a resource at the top of
 * the stack or a child of a top-level `TenantPolicies` (the documented layouts). Outside the host (unit tests, a
 * program driving the provider object directly) messages go to stderr.
 */
import { parseOwner } from "./ownership";

/** Severities this provider uses. */
export type Severity = "info" | "warning";

interface EngineLike {
    log(req: unknown, callback: (err: unknown) => void): void;
}

/** The engine client of this process: built on first use, `null` when this process is not a dynamic provider host. */
let engine: { client: EngineLike; proto: any } | null | undefined;
/** Test hook: where messages go instead of the engine. */
let sink: ((severity: Severity, message: string, urn: string) => void) | undefined;

function engineClient(): { client: EngineLike; proto: any } | undefined {
    if (engine !== undefined) return engine ?? undefined;
    engine = null;
    const main = require.main?.filename ?? "";
    // The engine passes its address (host:port) as the plugin's last argument, after any logging flags.
    const address = [...process.argv.slice(2)].reverse().find((a) => /^(\[[0-9a-f:]+\]|[\w.-]+):\d+$/i.test(a));
    if (!/dynamic-provider/.test(main) || !address) return undefined;
    try {
        // grpc-js is the SDK's own dependency: resolved from the SDK, so both speak the same generated stubs.
        const sdkDir = require("node:path").dirname(require.resolve("@pulumi/pulumi/package.json"));
        const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdkDir] }));
        const rpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
        const proto = require("@pulumi/pulumi/proto/engine_pb");
        engine = { client: new rpc.EngineClient(address, grpc.credentials.createInsecure()), proto };
    } catch {
        engine = null;
    }
    return engine ?? undefined;
}

/**
 * Sends `message` to the engine with `severity`, attached to `urn` (a stack-level message when empty). Resolves once
 * the engine has it; never throws (an undeliverable message goes to stderr).
 */
export async function engineLog(severity: Severity, message: string, urn = ""): Promise<void> {
    if (sink) return sink(severity, message, urn);
    const e = engineClient();
    if (!e) {
        process.stderr.write(`${severity}: ${message}\n`);
        return;
    }
    const req = new e.proto.LogRequest();
    req.setSeverity(severity === "warning" ? e.proto.LogSeverity.WARNING : e.proto.LogSeverity.INFO);
    req.setMessage(message);
    req.setUrn(urn);
    req.setStreamid(0);
    req.setEphemeral(false);
    await new Promise<void>((resolve) => {
        e.client.log(req, (err) => {
            if (err) process.stderr.write(`${severity}: ${message}\n`);
            resolve();
        });
    });
}

/** Dynamic resource type token prefix (see the resources' `MODULE`). */
const DYNAMIC_TYPE = "pulumi-nodejs:dynamic/clientpolicy:";
/**
 * `TENANT_POLICIES_TYPE` of provider/components/tenantPolicies.ts, spelled out so the provider host does not load the
 * component (and everything it imports) to log a line; a unit test checks the two agree.
 */
export const COMPONENT_TYPE = "clientpolicy:index:TenantPolicies";

/**
 * A warning for the deployment's diagnostics: counted by the CLI and shown under the resource when `urn` names it
 * (built with {@link resourceUrn}), as a stack-level warning when `urn` is empty. Never throws.
 */
export function warn(message: string, urn = ""): Promise<void> {
    return engineLog("warning", message, urn);
}

/**
 * The URN of a resource of `type` (`ClientPolicy`, `PolicyGrant`) from its owner id, or "" (a stack-level message)
 * when the owner is unknown. A child of `TenantPolicies` (`declaredIn`) is assumed to sit under a top-level component.
 */
export function resourceUrn(type: string, owner: unknown, declaredIn?: unknown): string {
    const o = typeof owner === "string" ? parseOwner(owner) : undefined;
    if (!o) return "";
    const parents = declaredIn !== undefined && declaredIn !== null ? `${COMPONENT_TYPE}$` : "";
    return `urn:pulumi:${o.stack}::${o.project}::${parents}${DYNAMIC_TYPE}${type}::${o.resource}`;
}

/** Test hook: capture messages (or restore the engine/stderr with `undefined`). */
export function setDiagnosticsSinkForTesting(s: ((severity: Severity, message: string, urn: string) => void) | undefined): void {
    sink = s;
}

// ---------------------------------------------------------------- progress of long batches

/** How often, at most, a long batch logs its progress. */
export const PROGRESS_EVERY_MS = 5_000;

/**
 * A progress callback for a batch of `total` users that calls `log` with `granted 2,000/10,000` (or the given verb) at
 * most once every `everyMs` of `now()`'s clock, never at the start and never for the finished batch (the resource's
 * own result says that). `now` is injectable so a test checks the throttle without waiting.
 */
export function progressLogger(verb: string, log: (message: string) => void, now: () => number = Date.now,
    everyMs = PROGRESS_EVERY_MS): (done: number, total: number) => void {
    let last = now();
    const n = (x: number) => x.toLocaleString("en-US");
    return (done, total) => {
        const t = now();
        if (done >= total || t - last < everyMs) return;
        last = t;
        log(`${verb} ${n(done)}/${n(total)}`);
    };
}

/** Test hook: the clock progress logging reads. */
let progressClock: () => number = Date.now;
/** The clock progress logging reads now ({@link setProgressClockForTesting}). */
export function progressNow(): number {
    return progressClock();
}

/** Test hook: replaces the clock of {@link progressLogger} in create/update (`undefined` restores `Date.now`). */
export function setProgressClockForTesting(now: (() => number) | undefined): void {
    progressClock = now ?? Date.now;
}

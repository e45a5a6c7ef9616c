/**
 * Per-process provider state: the tenant client built by `configure()`. Nothing here runs at import time, and the
 * provider objects only reach this module through `require()` of the installed package, so no client, token or
 * secret is ever captured into the serialized provider stored in Pulumi state.
 */
import type { CheckFailure } from "@pulumi/pulumi/dynamic";
import { TenantClient, TenantClientOptions } from "./client/tenantClient";
import { CONFIG_NAMESPACE, ConfigSource, ProviderConfig, STRICT_KEY, resolveConfig, resolveStrict } from "./config";
import { engineLog } from "./diagnostics";
import { AuthError, ConfigError, TransportError } from "./errors";

interface State {
    readonly config: ProviderConfig;
    readonly client: TenantClient;
}

let state: State | undefined;
let pendingError: ConfigError | undefined;
let testOverrides: Partial<TenantClientOptions> = {};
/** `clientpolicy:strict` from configure() (or the error its bad value raised); undefined before configure(). */
let strictSetting: boolean | ConfigError | undefined;

function sameConfig(a: ProviderConfig, b: ProviderConfig): boolean {
    return a.endpoint === b.endpoint && a.tenantId === b.tenantId && a.clientId === b.clientId &&
        a.clientSecret === b.clientSecret && a.maxAttempts === b.maxAttempts;
}

function build(config: ProviderConfig): State {
    // Both resource types call configure() with the same stack config: share one client and its token.
    if (state && sameConfig(state.config, config)) return state;
    const client = TenantClient.fromConfig(config, testOverrides);
    return { config, client };
}

/**
 * The dynamic providers' `configure()`. A missing or invalid configuration is remembered rather than thrown, so that
 * check() and diff() (which need no tenant) still work in preview; the first call that needs the tenant throws the one
 * {@link ConfigError} that lists every missing key.
 */
export async function configure(req: { config: ConfigSource }): Promise<void> {
    strictSetting = strictFrom(req.config);
    try {
        const next = build(resolveConfig(req.config));
        if (next !== state) unavailable = undefined;
        state = next;
        pendingError = undefined;
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        state = undefined;
        pendingError = err;
    }
}

/**
 * The configured client. When configure() was never called (a program driving the provider object directly), the
 * environment variables are used.
 */
export function tenantClient(): TenantClient {
    if (state) return state.client;
    if (pendingError) throw pendingError;
    try {
        state = build(resolveConfig(undefined));
    } catch (err) {
        // Remembered like configure()'s: check() asks on every resource, and the environment does not change mid-run.
        if (err instanceof ConfigError) pendingError = err;
        throw err;
    }
    return state.client;
}

/**
 * The client if configuration is complete, undefined when keys are merely missing (check() and diff() then work
 * offline), and the {@link ConfigError} thrown when a value is present but invalid — so preview fails on a bad
 * endpoint or tenant id before anything is written, naming the key.
 */
export function tenantClientIfConfigured(): TenantClient | undefined {
    try {
        return tenantClient();
    } catch (err) {
        if (err instanceof ConfigError && err.code === "MissingConfiguration") return undefined;
        throw err;
    }
}

/**
 * Test hook: options merged into every client built afterwards (fake transport, short backoff), and the cached
 * client dropped. Not used by the provider itself.
 */
export function setClientOverridesForTesting(overrides: Partial<TenantClientOptions>): void {
    testOverrides = overrides;
    state = undefined;
    pendingError = undefined;
    strictSetting = undefined;
    unavailable = undefined;
    warned.clear();
}

/**
 * {@link tenantClientIfConfigured} for check(): an invalid configuration (including a bad `clientpolicy:strict`)
 * becomes a check failure (naming the key, in the reason) instead of an exception, so the engine reports it like any
 * other bad input. A check() that throws makes the engine abort the deployment while the program is still
 * registering, and the program's resulting connection error can be all the user sees. Call it once at the top of
 * check(); the tenant itself is read through {@link checkWithTenant}.
 */
export function tenantClientForCheck(failures: CheckFailure[]): TenantClient | undefined {
    const strict = currentStrict();
    if (strict instanceof ConfigError) {
        // Every value is checked before the first request: a bad strict setting fails the check without a tenant read.
        failures.push({ property: "", reason: strict.message });
        return undefined;
    }
    try {
        return tenantClientIfConfigured();
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        failures.push({ property: "", reason: err.message });
        return undefined;
    }
}

// ---------------------------------------------------------------- tenant checks that could not run

/** Why check() could not read the tenant. Shown in brackets in the warning; the fleet report maps it to an error kind. */
export type SkipReason = "not configured" | "unreachable" | "credentials rejected";

/** The words the warning starts with (after `clientpolicy: `); the fleet report finds the warning by them. */
export const CHECKS_SKIPPED = "tenant checks skipped";

/** What the tenant checks of check() cover, named in the warning and the strict failure. */
export const SKIPPED_CHECKS = "whether users exist and are unambiguous, and who owns existing policies and user assignments";

/** Reasons already warned about in this process (the dynamic provider host is one process per stack operation). */
const warned = new Set<SkipReason>();
/** Set once a check found the tenant unreachable or refusing the credentials: later checks skip without waiting again. */
let unavailable: { reason: SkipReason; detail: string } | undefined;

function strictFrom(source: ConfigSource | undefined): boolean | ConfigError {
    try {
        return resolveStrict(source);
    } catch (err) {
        if (err instanceof ConfigError) return err;
        throw err;
    }
}

function currentStrict(): boolean | ConfigError {
    return strictSetting ?? strictFrom(undefined);
}

/** The first line of a message, cut short: the warning is one line. */
function firstLine(text: string): string {
    const line = text.split("\n")[0].trim().replace(/[.:]$/, "");
    return line.length > 200 ? line.slice(0, 200) + "…" : line;
}

/**
 * The one-line warning for tenant checks skipped for `reason`. Starts with `clientpolicy: {@link CHECKS_SKIPPED}
 * [reason]`, which the fleet report parses.
 */
export function skippedWarning(reason: SkipReason, detail: string): string {
    return `clientpolicy: ${CHECKS_SKIPPED} [${reason}]: ${detail}. This preview did not check ${SKIPPED_CHECKS}. ` +
        `Set ${CONFIG_NAMESPACE}:${STRICT_KEY.key} to true (or ${STRICT_KEY.env}=1) to make this an error`;
}

/**
 * Records that a tenant check was skipped: without strict mode one warning per reason per process (so one line per
 * stack, however many resources skipped), with strict mode a failure of this resource's check.
 */
export async function skipTenantChecks(failures: CheckFailure[], reason: SkipReason, detail: string): Promise<void> {
    const strict = currentStrict();
    if (strict === true) {
        failures.push({ property: "", reason: `the tenant could not be checked [${reason}]: ${detail}; this preview could not check ${SKIPPED_CHECKS}, and ${CONFIG_NAMESPACE}:${STRICT_KEY.key} (or ${STRICT_KEY.env}) makes that an error` });
        return;
    }
    if (warned.has(reason)) return;
    warned.add(reason);
    await engineLog("warning", skippedWarning(reason, detail));
}

/**
 * Runs a check that reads the tenant. When the tenant cannot be read — the provider is not configured, the tenant does
 * not answer (network error, 5xx after retries), or it rejects the credentials — the check is skipped through
 * {@link skipTenantChecks} and undefined is returned. An invalid configuration returns undefined silently: the
 * failure naming the key was added by {@link tenantClientForCheck}. Other errors (throttling, a bug) propagate.
 */
export async function checkWithTenant<T>(failures: CheckFailure[], read: (client: TenantClient) => Promise<T>): Promise<T | undefined> {
    if (currentStrict() instanceof ConfigError) return undefined; // named by tenantClientForCheck, no request made
    let client: TenantClient | undefined;
    try {
        client = tenantClientIfConfigured();
    } catch (err) {
        if (err instanceof ConfigError) return undefined;
        throw err;
    }
    if (!client) {
        const missing = pendingError?.code === "MissingConfiguration"
            ? firstLine(pendingError.message).replace(/^clientpolicy provider is not configured: /, "").replace(/\. Run$/, "") : "";
        await skipTenantChecks(failures, "not configured", missing || "the provider has no tenant connection");
        return undefined;
    }
    if (unavailable) {
        await skipTenantChecks(failures, unavailable.reason, unavailable.detail);
        return undefined;
    }
    try {
        return await read(client);
    } catch (err) {
        if (!(err instanceof AuthError) && !(err instanceof TransportError)) throw err;
        unavailable = { reason: err instanceof AuthError ? "credentials rejected" : "unreachable", detail: firstLine(err.message) };
        await skipTenantChecks(failures, unavailable.reason, unavailable.detail);
        return undefined;
    }
}

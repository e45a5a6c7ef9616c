/**
 * Per-process provider state: the tenant client built by `configure()`. Nothing here runs at import time, and the
 * provider objects only reach this module through `require()` of the installed package, so no client, token or
 * secret is ever captured into the serialized provider stored in Pulumi state.
 */
import type { CheckFailure } from "@pulumi/pulumi/dynamic";
import { TenantClient, TenantClientOptions } from "./client/tenantClient";
import { ConfigSource, ProviderConfig, resolveConfig } from "./config";
import { ConfigError } from "./errors";

interface State {
    readonly config: ProviderConfig;
    readonly client: TenantClient;
}

let state: State | undefined;
let pendingError: ConfigError | undefined;
let testOverrides: Partial<TenantClientOptions> = {};

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
    try {
        state = build(resolveConfig(req.config));
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
}

/**
 * {@link tenantClientIfConfigured} for check(): an invalid configuration becomes a check failure (naming the key, in
 * the reason) instead of an exception, so the engine reports it like any other bad input. A check() that throws makes
 * the engine abort the deployment while the program is still registering, and the program's resulting connection
 * error can be all the user sees.
 */
export function tenantClientForCheck(failures: CheckFailure[]): TenantClient | undefined {
    try {
        return tenantClientIfConfigured();
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        failures.push({ property: "", reason: err.message });
        return undefined;
    }
}

/**
 * Provider configuration: stack config in the `clientpolicy` namespace, with environment fallbacks.
 *
 * Credentials are read here and nowhere else: they never become resource inputs or outputs, so they never reach
 * state, and they are only held by the per-process client that `configure()` builds.
 */
import { isTenantId } from "../api/contract";
import { DEFAULT_RETRY } from "./client/retry";
import { ConfigError } from "./errors";

/** Resolved provider configuration. */
export interface ProviderConfig {
    /** Base URL of the tenant API, e.g. `https://tenant.example:8443`. */
    readonly endpoint: string;
    readonly tenantId: string;
    readonly clientId: string;
    readonly clientSecret: string;
    /** Attempts per request including the first (retries on 429/502/503/504 and network errors). */
    readonly maxAttempts: number;
}

/** What `configure()` receives from the Pulumi SDK (`req.config`): namespaced keys such as `clientpolicy:endpoint`. */
export interface ConfigSource {
    get(key: string): string | undefined;
}

/** One configuration setting: stack config key, environment variable, whether `pulumi config set` needs `--secret`. */
export interface KeySpec {
    readonly key: keyof Omit<ProviderConfig, "maxAttempts">;
    readonly env: string;
    readonly secret: boolean;
    readonly example: string;
}

/** Config namespace: the stack config keys are `clientpolicy:<key>`. */
export const CONFIG_NAMESPACE = "clientpolicy";

/** The required settings, in the order the missing-config message lists them. */
export const CONFIG_KEYS: readonly KeySpec[] = [
    { key: "endpoint", env: "CLIENTPOLICY_ENDPOINT", secret: false, example: "https://<tenant-api-host>" },
    { key: "tenantId", env: "CLIENTPOLICY_TENANT_ID", secret: false, example: "<tenant id or domain>" },
    { key: "clientId", env: "CLIENTPOLICY_CLIENT_ID", secret: false, example: "<app client id>" },
    { key: "clientSecret", env: "CLIENTPOLICY_CLIENT_SECRET", secret: true, example: "<app client secret>" },
];

/** Optional: attempts per request (default {@link DEFAULT_MAX_ATTEMPTS}). */
export const MAX_ATTEMPTS_KEY = { key: "maxAttempts", env: "CLIENTPOLICY_MAX_ATTEMPTS" } as const;
/** Attempts per request when `clientpolicy:maxAttempts` is not set. */
export const DEFAULT_MAX_ATTEMPTS = DEFAULT_RETRY.maxAttempts;

/**
 * Optional: `clientpolicy:strict` (or `CLIENTPOLICY_STRICT`). When true, a check() that cannot read the tenant (not
 * configured, unreachable, credentials rejected) fails instead of warning, for CI that must not pass unverified.
 */
export const STRICT_KEY = { key: "strict", env: "CLIENTPOLICY_STRICT" } as const;

/**
 * Whether strict mode is on: `true`/`1` or `false`/`0` (any case; empty or unset is false). Read apart from
 * {@link resolveConfig} because it matters most when the other keys are missing. A bad value throws an
 * InvalidConfiguration {@link ConfigError} naming the key and the accepted values.
 */
export function resolveStrict(source: ConfigSource | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
    const raw = source?.get(`${CONFIG_NAMESPACE}:${STRICT_KEY.key}`) ?? env[STRICT_KEY.env];
    const v = raw?.trim().toLowerCase() ?? "";
    if (v === "" || v === "false" || v === "0") return false;
    if (v === "true" || v === "1") return true;
    throw invalid(STRICT_KEY.key, `must be true or false (or 1 / 0; ${STRICT_KEY.env} takes the same), got ${describe(raw!.trim())}`);
}

/** A setting's value: stack config first, then the environment; blank counts as missing. */
function readKey(source: ConfigSource | undefined, env: NodeJS.ProcessEnv, spec: { readonly key: string; readonly env: string }): string | undefined {
    const v = source?.get(`${CONFIG_NAMESPACE}:${spec.key}`) ?? env[spec.env];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
}

/** The required settings' values, and those neither the stack config nor the environment gives (in order). */
function readRequired(source: ConfigSource | undefined, env: NodeJS.ProcessEnv): { values: Record<string, string>; missing: KeySpec[] } {
    const values: Record<string, string> = {};
    const missing: KeySpec[] = [];
    for (const spec of CONFIG_KEYS) {
        const v = readKey(source, env, spec);
        if (v === undefined) missing.push(spec);
        else values[spec.key] = v;
    }
    return { values, missing };
}

/** The required settings neither the stack config nor the environment gives, in {@link CONFIG_KEYS} order. */
export function missingConfig(source: ConfigSource | undefined, env: NodeJS.ProcessEnv = process.env): KeySpec[] {
    return readRequired(source, env).missing;
}

/**
 * Reads the configuration: stack config first, then the environment. Throws one {@link ConfigError} that lists every
 * missing key together with the exact `pulumi config set` line for it, so a new user fixes everything in one go.
 */
export function resolveConfig(source: ConfigSource | undefined, env: NodeJS.ProcessEnv = process.env): ProviderConfig {
    const { values, missing } = readRequired(source, env);
    if (missing.length > 0) {
        const lines = missing.map((m) =>
            `    pulumi config set ${CONFIG_NAMESPACE}:${m.key} ${m.secret ? "--secret " : ""}${m.example}   # or ${m.env}`);
        throw new ConfigError(
            `clientpolicy provider is not configured: missing ${missing.map((m) => `${CONFIG_NAMESPACE}:${m.key}`).join(", ")}. Run:\n` +
            lines.join("\n"), { code: "MissingConfiguration" });
    }
    const endpoint = checkEndpoint(values.endpoint);
    if (!isTenantId(values.tenantId)) {
        throw invalid("tenantId", `must be a tenant GUID or domain name (letters, digits, "." and "-", 1–253 characters), ` +
            `got ${describe(values.tenantId)}`);
    }
    if (/[\s\x00-\x1f/\\?#%]/.test(values.clientId)) {
        throw invalid("clientId", `must be an app (client) id without spaces, "/", "\\", "?", "#" or "%", got ${describe(values.clientId)}`);
    }
    const attemptsText = readKey(source, env, MAX_ATTEMPTS_KEY);
    const maxAttempts = attemptsText === undefined ? DEFAULT_MAX_ATTEMPTS : Number(attemptsText);
    if (!/^\d+$/.test(attemptsText ?? "8") || !Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 50) {
        throw invalid("maxAttempts", `must be an integer 1–50, got ${describe(attemptsText ?? "")}`);
    }
    return {
        endpoint,
        tenantId: values.tenantId,
        clientId: values.clientId,
        clientSecret: values.clientSecret,
        maxAttempts,
    };
}

function invalid(key: string, reason: string): ConfigError {
    return new ConfigError(`${CONFIG_NAMESPACE}:${key} ${reason}`, { code: "InvalidConfiguration", target: `${CONFIG_NAMESPACE}:${key}` });
}

/**
 * Whether a URL host (as `URL.hostname` gives it) is this machine's loopback: `localhost`, an IPv4 address in
 * 127.0.0.0/8 or `[::1]`. The only hosts plain http is accepted for: traffic to them never leaves the machine.
 */
export function isLoopbackHost(hostname: string): boolean {
    const host = hostname.toLowerCase();
    if (host === "localhost" || host === "[::1]") return true;
    const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
    return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

/** A config value in a message: quoted and cut short (config values here are never secrets; the secret is never shown). */
function describe(value: string): string {
    return JSON.stringify(value.length > 80 ? value.slice(0, 80) + "…" : value);
}

/**
 * The endpoint as a base URL without trailing slash: http(s), a host, nothing else. A user name or password in it is
 * rejected without echoing the URL (credentials belong in clientpolicy:clientSecret); a path, query or fragment would
 * silently change every route.
 */
function checkEndpoint(text: string): string {
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        throw invalid("endpoint", "must be an http(s) URL such as https://tenant-api.example.com, got a value that is not a URL");
    }
    if (url.username !== "" || url.password !== "") {
        throw invalid("endpoint", "must not contain a user name or password (the value is not shown); the app's secret belongs " +
            `in ${CONFIG_NAMESPACE}:clientSecret (pulumi config set --secret)`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw invalid("endpoint", `must be an http(s) URL, got scheme ${describe(url.protocol.replace(/:$/, ""))}`);
    }
    if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
        throw invalid("endpoint", `must use https (the client secret and tokens travel with every call); plain http is only ` +
            `accepted to a loopback address (127.0.0.0/8, ::1, localhost), got ${describe(url.origin)}`);
    }
    if (url.pathname !== "/" || url.search !== "" || url.hash !== "") {
        throw invalid("endpoint", `must be the API's base URL without a path, query or fragment (e.g. ${url.origin}), got ${describe(url.origin + url.pathname + url.search + url.hash)}`);
    }
    return url.origin;
}

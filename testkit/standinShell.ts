/**
 * The stand-in Management Shell: a Node process speaking the gateway's line protocol (api/powershell/protocol.ts) exactly as
 * the shipped module's `Start-CpShellHost` does, for tests and demos on machines without Windows PowerShell. Its
 * "Central Management Store" is a tenant emulator, reached over the emulator's tenant API (so several stand-in
 * processes of one pool share one server state, as sessions to one pool do).
 *
 * Each command is bound with api/powershell/binder.ts, the checks the module's host loop makes in the same order with
 * the same error records (unknown cmdlet, parameter, argument kind, missing parameter, output form). Then, like the
 * cmdlets themselves, it refuses setting values their parameter types or ranges do not take ("Cannot bind parameter
 * …", from the catalogue), runs the cmdlet against the store and answers what the module's projection would print:
 * the emulator's wire form without the API's owner fields, which a real server does not have. `Get-CsUser -Filter`
 * is evaluated from the filter expression the module would pass (read back as PowerShell reads a single-quoted
 * string), so tests see what the expression says, not what the gateway meant.
 *
 * Usage: `node standinShell.js --api <emulator url> --tenant <id> --client-id <id> [--faults <file.json>]`, the client
 * secret in the environment variable `CPGW_STANDIN_SECRET`. The faults file (read before every request) may hold
 * regular expressions matched against the display form of each command of the request (`describeCommand`:
 * `Cmdlet -Name <JSON value> … | output`): `hang` (never answer), `die` (exit before running), `dieAfter` (run,
 * then exit without answering), `garbage` (print a non-JSON line instead of answering); with `once: true` the first
 * fault that fires clears the file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { formatTimeSpan, SETTINGS_BY_NAME, validateSetting, type WireValue } from "../api/catalogue";
import { OWNER_ANNOTATION, Routes } from "../api/contract";
import { powerShellCategoryOf } from "../api/errors";
import { BindError, bindCommand, type BoundCommand, type BoundValue } from "../api/powershell/binder";
import { readClientPolicyFilter } from "../api/powershell/table";
import { describeCommand, type LineResult, type ShellCommand, type ShellError, type ShellRequest } from "../api/powershell/protocol";
import { MODULE_VERSION } from "../gateway/module";

// ---------------------------------------------------------------- arguments

function arg(name: string): string | undefined {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
}
const API = arg("--api");
const TENANT = arg("--tenant");
const CLIENT_ID = arg("--client-id");
const FAULTS = arg("--faults");
const SECRET = process.env.CPGW_STANDIN_SECRET;
if (!API || !TENANT || !CLIENT_ID || !SECRET) {
    process.stderr.write("stand-in shell: --api, --tenant, --client-id and CPGW_STANDIN_SECRET are required\n");
    process.exit(2);
}

// ---------------------------------------------------------------- errors like PowerShell's

class PsError extends Error {
    constructor(readonly id: string, readonly category: string, message: string) {
        super(message);
    }
    toShell(): ShellError {
        return { id: this.id, category: this.category, message: this.message };
    }
}

// ---------------------------------------------------------------- the emulator as the server's store

let token: { value: string; until: number } | undefined;

async function bearer(): Promise<string> {
    if (token && token.until > Date.now()) return token.value;
    const res = await fetch(`${API}${Routes.token(TENANT!)}`, {
        method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: CLIENT_ID!, client_secret: SECRET!, scope: "api://skype/.default" }).toString(),
    });
    if (!res.ok) throw new PsError("ServerUnavailable", "ConnectionError", `The stand-in could not sign in to its store (HTTP ${res.status}).`);
    const body = await res.json() as { access_token: string; expires_in: number };
    token = { value: body.access_token, until: Date.now() + (body.expires_in - 60) * 1000 };
    return token.value;
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
    for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${API}${path}`, {
            method, headers: { authorization: `Bearer ${await bearer()}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        if ((res.status === 429 || res.status === 503) && attempt < 5) { await new Promise((r) => setTimeout(r, 50)); continue; }
        return { status: res.status, json: text ? JSON.parse(text) : undefined };
    }
}

async function pages(path: string): Promise<any[]> {
    const out: any[] = [];
    let next: string | undefined = `${path}?$top=1000`;
    while (next) {
        const r = await api("GET", next);
        if (r.status !== 200) return r.status === 404 ? [] : fail(r, "Get");
        out.push(...r.json.value);
        next = r.json["@nextLink"];
    }
    return out;
}

function fail(r: { status: number; json: any }, cmdlet: string): never {
    const e = r.json?.error ?? { code: "Unknown", message: `HTTP ${r.status}` };
    throw new PsError(`${e.code},${cmdlet}`, powerShellCategoryOf(e.code), e.message);
}

function policyOut(p: Record<string, unknown>): Record<string, unknown> {
    const { [OWNER_ANNOTATION]: _owner, ...rest } = p;
    return rest;
}

/**
 * A user as `ConvertTo-CpUser` prints it: no owner and no `Site` (Get-CsUser reports the Registrar pool only; the
 * gateway finds the site through Get-CsPool/Get-CsSite, as it must on a server).
 */
function userOut(u: Record<string, unknown>): Record<string, unknown> {
    const { ClientPolicyOwner: _owner, Site: _site, ...rest } = u;
    return rest;
}

/** The seeded topology as Get-CsSite answers it through `ConvertTo-CpSite` (SiteId: the site's position, from 1). */
async function sitesOut(): Promise<Array<{ Identity: string; SiteId: string; DisplayName: string; Pools: string[] }>> {
    return (await pages(Routes.sites())).map((x: { Identity: string; Pools: string[] }, i) => ({
        Identity: x.Identity, SiteId: String(i + 1), DisplayName: x.Identity.replace(/^site:/i, ""), Pools: [...x.Pools],
    }));
}

/**
 * A bound setting as the cmdlet's parameter type takes it: the wire value, or a binding error like the cmdlet's when
 * its type or range refuses it (UInt32 overflow, an unknown enum name, a TimeSpan past the documented range).
 */
function settingValue(cmdlet: string, name: string, v: BoundValue): WireValue | null {
    const def = settingByName(name);
    if (v.type === "null") return null;
    const wire: unknown = v.type === "timespan" ? (v.seconds < 86400 ? formatTimeSpan(v.seconds) : v.text) : v.type === "switch" ? true : v.value;
    const r = validateSetting(def, wire, "wire");
    if (!r.ok) throw new PsError(`CannotConvertArgumentNoMessage,${cmdlet}`, "InvalidArgument", `Cannot bind parameter '${def.name}'. ${r.message}.`);
    return r.value;
}

function settingByName(name: string) {
    const def = SETTINGS_BY_NAME.get(name);
    if (!def) throw new Error(`${name} is in the cmdlet table but not in the catalogue`);
    return def;
}

function stringArg(cmd: BoundCommand, name: string): string | undefined {
    const v = cmd.args.get(name)?.value;
    return v && (v.type === "string" || v.type === "clientPolicyFilter") ? v.value : undefined;
}

function identityOf(cmd: BoundCommand): string {
    const v = stringArg(cmd, "Identity");
    // The binder already refused a command without its required -Identity; this guards the table's promise.
    if (v === undefined) throw new PsError(`MissingArgument,${cmd.cmdlet.name}`, "InvalidArgument", `${cmd.cmdlet.name}: -Identity <string> is required.`);
    return v;
}

/** The API body of New/Set-CsClientPolicy: each setting given, `null` clearing it; PolicyEntry replaces the list. */
function settingsBody(cmd: BoundCommand): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    for (const [name, { param, value }] of cmd.args) {
        if (param.role === "setting") body[name] = settingValue(cmd.cmdlet.name, name, value);
    }
    return body;
}

async function execute(cmd: BoundCommand): Promise<unknown[]> {
    const name = cmd.cmdlet.name;
    switch (name) {
        case "Get-CsClientPolicy": {
            if (cmd.args.has("Identity")) {
                const identity = identityOf(cmd);
                const r = await api("GET", Routes.policy(identity));
                if (r.status === 404) throw new PsError("ObjectNotFound,Microsoft.Rtc.Management.Internal.GetClientPolicyCmdlet", "ObjectNotFound", `Cannot get policy "${identity}" because it does not exist.`);
                if (r.status !== 200) fail(r, name);
                return [policyOut(r.json)];
            }
            return (await pages(Routes.policies())).map(policyOut);
        }
        case "New-CsClientPolicy": {
            const r = await api("PUT", Routes.policy(identityOf(cmd)), settingsBody(cmd), { "if-none-match": "*" });
            if (r.status !== 201) fail(r, name);
            return [];
        }
        case "Set-CsClientPolicy": {
            const identity = identityOf(cmd);
            const body = settingsBody(cmd);
            const cur = await api("GET", Routes.policy(identity));
            if (cur.status !== 200) fail(cur, name);
            const r = await api("PATCH", Routes.policy(identity), body);
            if (r.status !== 200) fail(r, name);
            return [];
        }
        case "Remove-CsClientPolicy": {
            // Without -Force the cmdlet asks before removing a policy users hold; a non-interactive session cannot answer.
            const force = cmd.args.get("Force")?.value.type === "switch";
            const r = await api("DELETE", Routes.policy(identityOf(cmd)) + (force ? "?force=true" : ""));
            if (r.status !== 204 && r.status !== 200) fail(r, name);
            return [];
        }
        case "Grant-CsClientPolicy": {
            const p = cmd.args.get("PolicyName")!.value;
            const r = await api("PUT", Routes.userAssignment(identityOf(cmd)), { PolicyName: p.type === "null" ? null : stringArg(cmd, "PolicyName") });
            if (r.status !== 200) fail(r, name);
            return [];
        }
        case "Get-CsSite":
            return sitesOut();
        case "Get-CsPool":
            // Each pool's Site is its site's identity (Site:Redmond), as Get-CsPool lists it.
            return (await sitesOut()).flatMap((x) => x.Pools.map((fqdn) => ({ Identity: fqdn, Fqdn: fqdn, Site: x.Identity })));
        case "Get-CsUser": {
            const size = stringArg(cmd, "ResultSize");
            if (size !== undefined) {
                // -ResultSize is an Unlimited<UInt32> parsed from its text: a whole number 0-2147483647 (Get-CsUser.md).
                if (!/^[0-9]{1,10}$/.test(size) || Number(size) > 2147483647) {
                    throw new PsError("CannotConvertArgumentNoMessage,Microsoft.Rtc.Management.AD.Cmdlets.GetOcsUserCmdlet", "InvalidArgument", `Cannot bind parameter 'ResultSize'. Cannot convert value "${size}".`);
                }
                const out: unknown[] = [];
                let next: string | undefined = Routes.users({ top: 1000 });
                while (next && out.length < Number(size)) {
                    const r = await api("GET", next);
                    if (r.status !== 200) fail(r, name);
                    out.push(...(r.json.value as Array<Record<string, unknown>>).map(userOut));
                    next = r.json["@nextLink"];
                }
                return out.slice(0, Number(size));
            }
            if (cmd.filterExpression !== undefined) {
                const policy = readClientPolicyFilter(cmd.filterExpression);
                if (policy === undefined) throw new PsError("ParserError,Get-CsUser", "InvalidArgument", `The filter ${JSON.stringify(cmd.filterExpression)} is not ClientPolicy -eq '<name>'.`);
                return (await pages(Routes.assignments(policy))).map(userOut);
            }
            const identity = identityOf(cmd);
            const r = await api("GET", Routes.user(identity));
            if (r.status === 404 && r.json?.error?.code === "UserNotFound") {
                throw new PsError("Identity,Microsoft.Rtc.Management.AD.Cmdlets.GetOcsUserCmdlet", "ObjectNotFound", `Management object not found for identity "${identity}".`);
            }
            if (r.status === 409 && r.json?.error?.code === "AmbiguousIdentity") {
                const users = [];
                for (const d of r.json.error.details as Array<{ target: string }>) users.push((await api("GET", Routes.user(d.target))).json);
                return users.map(userOut);
            }
            if (r.status !== 200) fail(r, name);
            return [userOut(r.json)];
        }
    }
    throw new PsError("CommandNotFoundException", "ObjectNotFound", `The term '${name}' is not recognized.`);
}

/** Binds a command as the module's host loop does; the error record it reports when the binder refuses it. */
function bindOrError(raw: unknown): BoundCommand | ShellError {
    try {
        return bindCommand(raw);
    } catch (e) {
        if (e instanceof BindError) return { id: e.id, category: e.category, message: e.message };
        throw e;
    }
}

/**
 * A request made only of `Get-CsUser -Identity X` commands (the gateway's user resolution) is answered from the
 * store's batch resolution, with exactly the per-command results running each would give; it only saves the stand-in
 * one HTTP round trip per user.
 */
async function resolveAll(commands: unknown[]): Promise<LineResult[] | undefined> {
    if (commands.length < 2) return undefined;
    const ids: string[] = [];
    for (const raw of commands) {
        const cmd = bindOrError(raw);
        if ("id" in cmd || cmd.cmdlet.name !== "Get-CsUser" || cmd.args.size !== 1 || !cmd.args.has("Identity")) return undefined;
        ids.push(identityOf(cmd));
    }
    const out: LineResult[] = [];
    for (let i = 0; i < ids.length; i += 5000) {
        const r = await api("POST", Routes.userResolutions(), { Identities: ids.slice(i, i + 5000) });
        if (r.status !== 200) return undefined;
        for (const [k, res] of (r.json.value as Array<{ Identity: string; User?: Record<string, unknown>; Error?: { code: string; message: string; matches?: string[] } }>).entries()) {
            const identity = ids[i + k];
            if (res.User) out.push({ ok: true, output: [userOut(res.User)] });
            else if (res.Error?.code === "UserNotFound") {
                out.push({ ok: false, error: { id: "Identity,Microsoft.Rtc.Management.AD.Cmdlets.GetOcsUserCmdlet", category: "ObjectNotFound", message: `Management object not found for identity "${identity}".` } });
            } else if (res.Error?.code === "AmbiguousIdentity" && res.Error.matches) {
                const users = [];
                for (const sip of res.Error.matches) users.push(userOut((await api("GET", Routes.user(sip))).json));
                out.push({ ok: true, output: users });
            } else out.push({ ok: false, error: { id: `${res.Error?.code},Get-CsUser`, category: "InvalidArgument", message: res.Error?.message ?? "failed" } });
        }
    }
    return out;
}

// ---------------------------------------------------------------- the host loop

type Faults = { hang?: string; die?: string; dieAfter?: string; garbage?: string; once?: boolean };

function faults(): Faults {
    if (!FAULTS) return {};
    try {
        return JSON.parse(readFileSync(FAULTS, "utf8"));
    } catch {
        return {};
    }
}

/** The display form of a received command, for fault matching (a malformed one as its JSON). */
function display(raw: unknown): string {
    try {
        return describeCommand(raw as ShellCommand);
    } catch {
        return JSON.stringify(raw);
    }
}

const matches = (re: string | undefined, shown: string[]) => re !== undefined && shown.some((l) => new RegExp(re).test(l));

/** With `once`, a fault that fires is cleared from the file first, so the next shell (or the retry) runs normally. */
function fire(f: Faults): void {
    if (f.once && FAULTS) writeFileSync(FAULTS, "{}");
}

async function handle(req: ShellRequest): Promise<void> {
    const commands: unknown[] = Array.isArray(req.commands) ? req.commands : [];
    const shown = commands.map(display);
    const f = faults();
    if (matches(f.hang, shown)) { fire(f); return; } // never answers
    if (matches(f.die, shown)) { fire(f); process.exit(3); }
    if (matches(f.garbage, shown)) {
        fire(f);
        process.stdout.write("WARNING: The session's module could not be loaded.\n");
        return;
    }
    const results: LineResult[] = [];
    let failed = false;
    const resolved = await resolveAll(commands);
    if (resolved) {
        if (matches(f.dieAfter, shown)) { fire(f); process.exit(4); }
        process.stdout.write(JSON.stringify({ id: req.id, results: resolved }) + "\n");
        return;
    }
    for (const raw of commands) {
        if (failed && req.stopOnError) { results.push({ ok: false, skipped: true }); continue; }
        try {
            const cmd = bindOrError(raw);
            if ("id" in cmd) throw new PsError(cmd.id, cmd.category, cmd.message);
            const output = await execute(cmd);
            results.push({ ok: true, output: cmd.output === "none" ? [] : output });
        } catch (e) {
            failed = true;
            const err = e instanceof PsError ? e.toShell() : { id: "System.Exception", category: "NotSpecified", message: (e as Error).message };
            results.push({ ok: false, error: err });
        }
    }
    if (matches(f.dieAfter, shown)) { fire(f); process.exit(4); }
    process.stdout.write(JSON.stringify({ id: req.id, results }) + "\n");
}

process.stdout.write(JSON.stringify({ ready: true, host: "stand-in", module: MODULE_VERSION }) + "\n");
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (line) => {
    queue = queue.then(() => handle(JSON.parse(line) as ShellRequest)).catch((e) => {
        process.stderr.write(`stand-in shell: ${(e as Error).message}\n`);
        process.exit(5);
    });
}).on("close", () => { void queue.then(() => process.exit(0)); });

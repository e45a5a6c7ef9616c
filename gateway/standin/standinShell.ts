/**
 * The stand-in Management Shell: a Node process speaking the gateway's line protocol (gateway/protocol.ts) exactly as
 * the shipped module's `Start-CpShellHost` does, for tests and demos on machines without Windows PowerShell. Its
 * "Central Management Store" is a tenant emulator, reached over the emulator's tenant API (so several stand-in
 * processes of one pool share one server state, as sessions to one pool do).
 *
 * It is strict on purpose: it accepts only the documented syntax and parameters of the cmdlets the gateway sends
 * (New/Set/Get/Remove/Grant-CsClientPolicy, New-CsClientPolicyEntry, Get-CsUser; MicrosoftDocs/office-docs-powershell,
 * skype/skype-ps/skype/*.md), piped only into the module's `ConvertTo-CpPolicy`/`ConvertTo-CpUser` or `Out-Null`, and
 * fails like PowerShell otherwise (CommandNotFoundException, NamedParameterNotFound, a binding error naming the
 * parameter). Its output is what the module's projection would print: the emulator's wire form without the API's
 * owner fields, which a real server does not have.
 *
 * Usage: `node standinShell.js --api <emulator url> --tenant <id> --client-id <id> [--faults <file.json>]`, the client
 * secret in the environment variable `CPGW_STANDIN_SECRET`. The faults file (read before every request) may hold
 * regular expressions matched against the request's lines: `hang` (never answer), `die` (exit before running),
 * `dieAfter` (run, then exit without answering), `garbage` (print a non-JSON line instead of answering); with
 * `once: true` the first fault that fires clears the file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { settingByWireName, validateSetting, type WireValue } from "../../api/catalogue";
import { OWNER_ANNOTATION, Routes } from "../../api/contract";
import type { LineResult, ShellError, ShellRequest } from "../protocol";

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

// ---------------------------------------------------------------- tokenizer and parser

type Tok = { t: "word" | "param" | "string" | "var" | "number" | "punct"; v: string; quoted?: boolean };

function tokenize(line: string): Tok[] {
    const out: Tok[] = [];
    let i = 0;
    const fail = (msg: string): never => { throw new PsError("ParseException", "ParserError", `At char ${i + 1}: ${msg}`); };
    while (i < line.length) {
        const c = line[i];
        if (/\s/.test(c)) { i++; continue; }
        if (c === "'" || c === '"') {
            let v = "";
            i++;
            for (;;) {
                if (i >= line.length) fail("The string is missing the terminator.");
                const d = line[i++];
                if (d === c && line[i] === c) { v += c; i++; }
                else if (d === c) break;
                else if (c === '"' && d === "`" && i < line.length) v += line[i++];
                else if (c === '"' && d === "$") fail("variables in double-quoted strings are not used by the gateway");
                else v += d;
            }
            out.push({ t: "string", v, quoted: true });
            continue;
        }
        if (c === "@" && (line[i + 1] === "{" || line[i + 1] === "(")) { out.push({ t: "punct", v: c + line[i + 1] }); i += 2; continue; }
        if ("(){}=,;|".includes(c)) { out.push({ t: "punct", v: c }); i++; continue; }
        if (c === "$") {
            const m = /^\$([A-Za-z]+)/.exec(line.slice(i));
            if (!m || !["true", "false", "null"].includes(m[1].toLowerCase())) fail(`unsupported variable ${line.slice(i, i + 10)}`);
            out.push({ t: "var", v: m![1].toLowerCase() });
            i += m![0].length;
            continue;
        }
        const m = /^[^\s'"(){}=,;|]+/.exec(line.slice(i))!;
        const w = m[0];
        i += w.length;
        if (/^-[A-Za-z][A-Za-z0-9]*:?$/.test(w)) out.push({ t: "param", v: w.replace(/^-|:$/g, "") });
        else if (/^-?\d+$/.test(w)) out.push({ t: "number", v: w });
        else out.push({ t: "word", v: w });
    }
    return out;
}

type Value = string | number | boolean | null | { modifier: "Add" | "Remove" | "Replace"; entries: Array<{ Name: string; Value: string }> } | { filter: string; value: string };

interface Command {
    cmdlet: string;
    params: Map<string, { name: string; value: Value; given: boolean }>;
    positional: Value[];
    pipe?: string;
}

/** Documented parameters of each cmdlet (lower-cased); `*settings*` stands for every catalogue setting. */
const CMDLETS: Record<string, { canonical: string; params: string[]; positional: string[] }> = {
    "get-csclientpolicy": { canonical: "Get-CsClientPolicy", params: ["identity", "filter", "localstore", "tenant", "include"], positional: ["identity"] },
    "new-csclientpolicy": { canonical: "New-CsClientPolicy", params: ["identity", "*settings*", "force", "inmemory", "whatif", "confirm", "tenant"], positional: ["identity"] },
    "set-csclientpolicy": { canonical: "Set-CsClientPolicy", params: ["identity", "instance", "*settings*", "force", "whatif", "confirm", "tenant"], positional: ["identity"] },
    "remove-csclientpolicy": { canonical: "Remove-CsClientPolicy", params: ["identity", "force", "whatif", "confirm", "tenant"], positional: ["identity"] },
    "grant-csclientpolicy": { canonical: "Grant-CsClientPolicy", params: ["identity", "policyname", "domaincontroller", "passthru", "whatif", "confirm"], positional: ["identity", "policyname"] },
    "get-csuser": { canonical: "Get-CsUser", params: ["identity", "filter", "ldapfilter", "credential", "domaincontroller", "onlineonly", "onpremisesonly", "organizationalunit", "resultsize", "unassignedonly"], positional: ["identity"] },
};
const SWITCHES = new Set(["force", "inmemory", "whatif", "confirm", "localstore", "passthru", "onlineonly", "onpremisesonly", "unassignedonly"]);
const PROJECTIONS = new Set(["convertto-cppolicy", "convertto-cpuser", "out-null"]);

function parse(line: string): Command {
    const toks = tokenize(line);
    let k = 0;
    const peek = () => toks[k];
    const next = () => toks[k++];
    const expect = (v: string) => {
        const t = next();
        if (!t || t.v !== v) throw new PsError("ParseException", "ParserError", `Missing '${v}' in ${JSON.stringify(line.slice(0, 60))}.`);
    };
    const head = next();
    if (!head || head.t !== "word") throw new PsError("ParseException", "ParserError", "A line must start with a command.");
    const spec = CMDLETS[head.v.toLowerCase()];
    if (!spec) {
        throw new PsError("CommandNotFoundException", "ObjectNotFound",
            `The term '${head.v}' is not recognized as the name of a cmdlet, function, script file, or operable program.`);
    }
    const cmd: Command = { cmdlet: spec.canonical, params: new Map(), positional: [] };
    const entry = (): { Name: string; Value: string } => {
        expect("(");
        const c = next();
        if (!c || c.v.toLowerCase() !== "new-csclientpolicyentry") throw new PsError("ParseException", "ParserError", "Expected (New-CsClientPolicyEntry -Name … -Value …).");
        const e: Record<string, string> = {};
        for (let n = 0; n < 2; n++) {
            const p = next();
            const v = next();
            if (!p || p.t !== "param" || !["name", "value"].includes(p.v.toLowerCase()) || !v || !["string", "word", "number"].includes(v.t)) {
                throw new PsError("NamedParameterNotFound,Microsoft.Rtc.Management.Internal.NewClientPolicyEntryCmdlet", "InvalidArgument", "New-CsClientPolicyEntry takes -Name <string> -Value <string>.");
            }
            e[p.v.toLowerCase()] = v.v;
        }
        expect(")");
        return { Name: e.name, Value: e.value };
    };
    const value = (): Value => {
        const t = next();
        if (t.t === "string" || t.t === "word") return t.v;
        if (t.t === "number") return Number(t.v);
        if (t.t === "var") return t.v === "null" ? null : t.v === "true";
        if (t.v === "@{") {
            const key = next();
            if (!key || !["add", "remove", "replace"].includes(key.v.toLowerCase())) throw new PsError("ParseException", "ParserError", "A list modifier is @{Add=…}, @{Remove=…} or @{Replace=…}.");
            expect("=");
            const entries: Array<{ Name: string; Value: string }> = [];
            if (peek()?.v === "@(") {
                next();
                if (peek()?.v !== ")") for (;;) { entries.push(entry()); if (peek()?.v === ",") { next(); continue; } break; }
                expect(")");
            } else entries.push(entry());
            expect("}");
            const m = key.v.toLowerCase();
            return { modifier: (m[0].toUpperCase() + m.slice(1)) as "Add" | "Remove" | "Replace", entries };
        }
        if (t.v === "{") {
            const field = next();
            const op = next();
            const v = next();
            expect("}");
            if (!field || !op || op.t !== "param" || op.v.toLowerCase() !== "eq" || !v || v.t !== "string") {
                throw new PsError("ParseException", "ParserError", "The stand-in supports filters of the form {Property -eq 'value'}.");
            }
            return { filter: field.v, value: v.v };
        }
        throw new PsError("ParseException", "ParserError", `Unexpected token '${t.v}'.`);
    };
    while (k < toks.length) {
        const t = peek();
        if (t.t === "punct" && t.v === "|") {
            next();
            const p = next();
            if (!p || !PROJECTIONS.has(p.v.toLowerCase()) || k < toks.length) {
                throw new PsError("ParseException", "ParserError", "Only '| ConvertTo-CpPolicy', '| ConvertTo-CpUser' and '| Out-Null' may follow a cmdlet.");
            }
            cmd.pipe = p.v.toLowerCase();
            break;
        }
        if (t.t === "param") {
            next();
            const lower = t.v.toLowerCase();
            const known = spec.params.includes(lower) || (spec.params.includes("*settings*") && settingByWireName(lower, "caseInsensitive"));
            if (!known) {
                throw new PsError(`NamedParameterNotFound,${spec.canonical}`, "InvalidArgument", `A parameter cannot be found that matches parameter name '${t.v}'.`);
            }
            if (cmd.params.has(lower)) throw new PsError(`ParameterAlreadyBound,${spec.canonical}`, "InvalidArgument", `Cannot bind parameter because parameter '${t.v}' is specified more than once.`);
            const isSwitch = SWITCHES.has(lower);
            const v: Value = isSwitch ? true : k < toks.length && peek().t !== "param" && peek().v !== "|" ? value() : (() => {
                throw new PsError(`MissingArgument,${spec.canonical}`, "InvalidArgument", `Missing an argument for parameter '${t.v}'.`);
            })();
            cmd.params.set(lower, { name: t.v, value: v, given: true });
            continue;
        }
        const v = value();
        const free = spec.positional.filter((p) => !cmd.params.has(p));
        if (free.length === 0) {
            throw new PsError(`PositionalParameterNotFound,${spec.canonical}`, "InvalidArgument", `A positional parameter cannot be found that accepts argument '${String(v)}'.`);
        }
        cmd.params.set(free[0], { name: free[0], value: v, given: true });
    }
    return cmd;
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
    const category = r.status === 404 ? "ObjectNotFound" : r.status === 409 ? (e.code === "PolicyAlreadyExists" ? "ResourceExists" : "InvalidOperation") : r.status === 400 ? "InvalidArgument" : "NotSpecified";
    throw new PsError(`${e.code},${cmdlet}`, category, e.message);
}

function policyOut(p: Record<string, unknown>): Record<string, unknown> {
    const { [OWNER_ANNOTATION]: _owner, ...rest } = p;
    return rest;
}

function userOut(u: Record<string, unknown>): Record<string, unknown> {
    const { ClientPolicyOwner: _owner, ...rest } = u;
    return rest;
}

/** A setting argument bound to its parameter type, as PowerShell's binder would (or a binding error). */
function bind(cmdlet: string, name: string, v: Value): WireValue | null | { modifier: string; entries: Array<{ Name: string; Value: string }> } {
    const def = settingByWireName(name, "caseInsensitive")!;
    if (v === null) return null;
    if (typeof v === "object" && "modifier" in v) {
        if (def.kind !== "policyEntry") throw new PsError(`CannotConvertArgument,${cmdlet}`, "InvalidArgument", `Cannot bind parameter '${def.name}': a list modifier is only valid for PolicyEntry.`);
        return v;
    }
    if (def.kind === "policyEntry") throw new PsError(`CannotConvertArgument,${cmdlet}`, "InvalidArgument", `Cannot bind parameter 'PolicyEntry': use New-CsClientPolicyEntry in @{Add=…}, @{Remove=…} or @{Replace=…}.`);
    let coerced: unknown = v;
    if (def.kind === "uint" && typeof v === "string" && /^\d+$/.test(v)) coerced = Number(v);
    if ((def.kind === "string" || def.kind === "enum" || def.kind === "timespan") && typeof v === "number") coerced = String(v);
    const r = validateSetting(def, coerced, "wire");
    if (!r.ok) throw new PsError(`CannotConvertArgumentNoMessage,${cmdlet}`, "InvalidArgument", `Cannot bind parameter '${def.name}'. ${r.message}.`);
    return r.value;
}

function identityOf(cmd: Command, fallback?: string): string {
    const v = cmd.params.get("identity")?.value ?? fallback;
    if (typeof v !== "string" && typeof v !== "number") throw new PsError(`MissingArgument,${cmd.cmdlet}`, "InvalidArgument", `${cmd.cmdlet}: -Identity <string> is required.`);
    return String(v);
}

async function settingsBody(cmd: Command, current?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const body: Record<string, unknown> = {};
    for (const [lower, p] of cmd.params) {
        if (!settingByWireName(lower, "caseInsensitive")) continue;
        const def = settingByWireName(lower, "caseInsensitive")!;
        const b = bind(cmd.cmdlet, p.name, p.value);
        if (b !== null && typeof b === "object" && "modifier" in b) {
            const have = ((current?.[def.name] as Array<{ Name: string; Value: string }> | null) ?? []);
            const same = (a: { Name: string; Value: string }, c: { Name: string; Value: string }) => a.Name === c.Name && a.Value === c.Value;
            const list = b.modifier === "Replace" ? b.entries : b.modifier === "Add" ? [...have, ...b.entries] : have.filter((h) => !b.entries.some((e) => same(h, e)));
            body[def.name] = list.length === 0 ? null : list;
        } else body[def.name] = b;
    }
    return body;
}

async function execute(cmd: Command): Promise<unknown[]> {
    const projected = cmd.pipe === "convertto-cppolicy" || cmd.pipe === "convertto-cpuser";
    const wantProjection = (kind: "convertto-cppolicy" | "convertto-cpuser") => {
        if (cmd.pipe !== kind && cmd.pipe !== "out-null") {
            throw new PsError("UnprojectedOutput", "InvalidOperation", `${cmd.cmdlet} output must be piped to ${kind === "convertto-cppolicy" ? "ConvertTo-CpPolicy" : "ConvertTo-CpUser"} (the gateway never reads default formatting).`);
        }
        return cmd.pipe === kind;
    };
    for (const unsupported of ["localstore", "tenant", "include", "instance", "inmemory", "ldapfilter", "credential", "domaincontroller", "organizationalunit", "resultsize", "onlineonly", "onpremisesonly", "unassignedonly", "passthru", "whatif", "confirm"]) {
        if (cmd.params.has(unsupported)) throw new PsError(`NotSupportedByStandIn,${cmd.cmdlet}`, "NotImplemented", `The stand-in shell does not model -${cmd.params.get(unsupported)!.name}.`);
    }
    switch (cmd.cmdlet) {
        case "Get-CsClientPolicy": {
            const out = wantProjection("convertto-cppolicy");
            if (cmd.params.has("identity")) {
                const r = await api("GET", Routes.policy(identityOf(cmd)));
                if (r.status === 404) throw new PsError("ObjectNotFound,Microsoft.Rtc.Management.Internal.GetClientPolicyCmdlet", "ObjectNotFound", `Cannot get policy "${identityOf(cmd)}" because it does not exist.`);
                if (r.status !== 200) fail(r, cmd.cmdlet);
                return out ? [policyOut(r.json)] : [];
            }
            let all = await pages(Routes.policies());
            const filter = cmd.params.get("filter")?.value;
            if (typeof filter === "string") {
                const re = new RegExp(`^${filter.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
                all = all.filter((p) => re.test(p.Identity));
            }
            return out ? all.map(policyOut) : [];
        }
        case "New-CsClientPolicy": {
            const identity = identityOf(cmd);
            const r = await api("PUT", Routes.policy(identity), await settingsBody(cmd), { "if-none-match": "*" });
            if (r.status !== 201) fail(r, cmd.cmdlet);
            return projected ? [policyOut(r.json)] : [];
        }
        case "Set-CsClientPolicy": {
            const identity = identityOf(cmd, "Global");
            const cur = await api("GET", Routes.policy(identity));
            if (cur.status !== 200) fail(cur, cmd.cmdlet);
            const r = await api("PATCH", Routes.policy(identity), await settingsBody(cmd, cur.json));
            if (r.status !== 200) fail(r, cmd.cmdlet);
            return [];
        }
        case "Remove-CsClientPolicy": {
            // Without -Force the cmdlet asks before removing a policy users hold; a non-interactive session cannot answer.
            const force = cmd.params.get("force")?.value === true;
            const r = await api("DELETE", Routes.policy(identityOf(cmd)) + (force ? "?force=true" : ""));
            if (r.status !== 204 && r.status !== 200) fail(r, cmd.cmdlet);
            return [];
        }
        case "Grant-CsClientPolicy": {
            const p = cmd.params.get("policyname");
            if (!p) throw new PsError("MissingArgument,Grant-CsClientPolicy", "InvalidArgument", "Grant-CsClientPolicy needs -PolicyName <name> or $null.");
            const r = await api("PUT", Routes.userAssignment(identityOf(cmd)), { PolicyName: p.value === null ? null : String(p.value) });
            if (r.status !== 200) fail(r, cmd.cmdlet);
            return [];
        }
        case "Get-CsUser": {
            const out = wantProjection("convertto-cpuser");
            const f = cmd.params.get("filter")?.value;
            if (f !== undefined) {
                if (typeof f !== "object" || f === null || !("filter" in f) || f.filter.toLowerCase() !== "clientpolicy") {
                    throw new PsError("NotSupportedByStandIn,Get-CsUser", "NotImplemented", "The stand-in supports Get-CsUser -Filter {ClientPolicy -eq '<identity>'} only.");
                }
                const users = await pages(Routes.assignments(f.value));
                return out ? users.map(userOut) : [];
            }
            const identity = identityOf(cmd);
            const r = await api("GET", Routes.user(identity));
            if (r.status === 404 && r.json?.error?.code === "UserNotFound") {
                throw new PsError("Identity,Microsoft.Rtc.Management.AD.Cmdlets.GetOcsUserCmdlet", "ObjectNotFound", `Management object not found for identity "${identity}".`);
            }
            if (r.status === 409 && r.json?.error?.code === "AmbiguousIdentity") {
                const users = [];
                for (const d of r.json.error.details as Array<{ target: string }>) users.push((await api("GET", Routes.user(d.target))).json);
                return out ? users.map(userOut) : [];
            }
            if (r.status !== 200) fail(r, cmd.cmdlet);
            return out ? [userOut(r.json)] : [];
        }
    }
    throw new PsError("CommandNotFoundException", "ObjectNotFound", `The term '${cmd.cmdlet}' is not recognized.`);
}

/**
 * A request made only of `Get-CsUser -Identity X | ConvertTo-CpUser` lines (the gateway's user resolution) is answered
 * from the store's batch resolution, with exactly the per-line results running each line would give; it only saves
 * the stand-in one HTTP round trip per user.
 */
async function resolveAll(lines: string[]): Promise<LineResult[] | undefined> {
    if (lines.length < 2) return undefined;
    const ids: string[] = [];
    for (const line of lines) {
        let cmd: Command;
        try {
            cmd = parse(line);
        } catch {
            return undefined;
        }
        const id = cmd.params.get("identity")?.value;
        if (cmd.cmdlet !== "Get-CsUser" || cmd.pipe !== "convertto-cpuser" || cmd.params.size !== 1 || typeof id !== "string") return undefined;
        ids.push(id);
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

const matches = (re: string | undefined, lines: string[]) => re !== undefined && lines.some((l) => new RegExp(re).test(l));

/** With `once`, a fault that fires is cleared from the file first, so the next shell (or the retry) runs normally. */
function fire(f: Faults): void {
    if (f.once && FAULTS) writeFileSync(FAULTS, "{}");
}

async function handle(req: ShellRequest): Promise<void> {
    const f = faults();
    if (matches(f.hang, req.lines)) { fire(f); return; } // never answers
    if (matches(f.die, req.lines)) { fire(f); process.exit(3); }
    if (matches(f.garbage, req.lines)) {
        fire(f);
        process.stdout.write("WARNING: The session's module could not be loaded.\n");
        return;
    }
    const results: LineResult[] = [];
    let failed = false;
    const resolved = await resolveAll(req.lines);
    if (resolved) {
        if (matches(f.dieAfter, req.lines)) { fire(f); process.exit(4); }
        process.stdout.write(JSON.stringify({ id: req.id, results: resolved }) + "\n");
        return;
    }
    for (const line of req.lines) {
        if (failed && req.stopOnError) { results.push({ ok: false, skipped: true }); continue; }
        try {
            results.push({ ok: true, output: await execute(parse(line)) });
        } catch (e) {
            failed = true;
            const err = e instanceof PsError ? e.toShell() : { id: "System.Exception", category: "NotSpecified", message: (e as Error).message };
            results.push({ ok: false, error: err });
        }
    }
    if (matches(f.dieAfter, req.lines)) { fire(f); process.exit(4); }
    process.stdout.write(JSON.stringify({ id: req.id, results }) + "\n");
}

process.stdout.write(JSON.stringify({ ready: true, host: "stand-in", module: "1.0.0" }) + "\n");
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (line) => {
    queue = queue.then(() => handle(JSON.parse(line) as ShellRequest)).catch((e) => {
        process.stderr.write(`stand-in shell: ${(e as Error).message}\n`);
        process.exit(5);
    });
}).on("close", () => { void queue.then(() => process.exit(0)); });

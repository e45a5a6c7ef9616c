/**
 * `clientpolicy convert`: a script of the five CsClientPolicy cmdlets → the declaration with the same end state
 * (config-repo YAML or a TypeScript program). The script is read as PowerShell reads it (api/powershell/: comments,
 * line continuations, typographic quotes and dashes), each statement is parsed with the shared cmdlet grammar
 * (api/cmdlets.ts), and statements are applied in order to an in-memory model, the way the cmdlets would change a tenant:
 *
 * - `New-CsClientPolicy` creates a policy (a second New of it fails, as in PowerShell); `Set-CsClientPolicy` merges
 *   its parameters into the policy (`-Identity` defaults to Global; `$null` unsets a setting); a Set of a policy the
 *   script did not create declares it with `adopt: true`, because it already exists in the tenant.
 * - `Remove-CsClientPolicy` drops a policy the script created (and its grants); on Global it resets it (no settings).
 * - `Grant-CsClientPolicy -Identity <user> -PolicyName <name>` assigns (a later Grant of the same user moves them);
 *   `-PolicyName $null` unassigns a user the script granted.
 * - `Get-CsClientPolicy` reads only: converted as "no change".
 * - `$x = New-CsClientPolicyEntry -Name <n> -Value <v>` defines an entry; `-PolicyEntry $x` replaces the list,
 *   `-PolicyEntry @{Add=$x}` appends, `@{Remove=$x}` removes, `$null` clears (CsClientPolicy reference §4).
 *
 * - `Import-Module`, `Write-Host` and other output, preference variables (`$ErrorActionPreference = "Stop"`) and
 *   comments change nothing in a tenant: noted, not counted as commands.
 * - `Get-CsUser … | Grant-CsClientPolicy -PolicyName X` grants whoever the query returns when it runs: a problem that
 *   names the query and how to list its users for the declaration.
 *
 * What a declaration cannot express is never dropped silently: it is a {@link ConvertProblem} with line, column and
 * why (deleting or unassigning what the script did not create, `-Instance`, variables, pipelines), and, where a small
 * repair makes the line valid (the article's `Grant -CsClientPolicy … - PolicyName OfflineIM`), the corrected line.
 */
import { PsCommand, PsParseError, PsValue, commandOf } from "../../api/cmdlets";
import { PsArgument, PsCommandNode, PsElement, PsScript, PsStatement, parsePsScript } from "../../api/powershell/parser";
import { SettingDef, camelName, settingByWireName, SETTINGS, suggestName, validateSetting } from "../../api/catalogue";
import { isIdentityError, parseGrantPolicyName, parsePolicyIdentity } from "../../api/identity";
import type { GrantDeclaration, PolicyDeclaration, TenantDeclaration } from "../../provider/tenantConfig/schema";

/** A line (or part of one) that was not converted: 1-based line and column, why, and a corrected line if one exists. */
export interface ConvertProblem {
    line: number;
    column: number;
    text: string;
    reason: string;
    suggestion?: string;
}

/** Something a reviewer should know about a converted line (it changed nothing, or its end state has a caveat). */
export interface ConvertNote {
    line: number;
    message: string;
}

/** The result of {@link convertScript}. */
export interface ConvertResult {
    declaration: TenantDeclaration;
    problems: ConvertProblem[];
    notes: ConvertNote[];
    /** Lines holding a command (blank and comment lines are not counted). */
    commands: number;
    /** Commands converted (commands − lines with problems). */
    converted: number;
}

/** Parameters every cmdlet accepts that change nothing in the end state. */
const IGNORED = new Set(["force", "confirm", "verbose", "erroraction", "warningaction", "informationaction", "debug"]);
const ENTRY_CMDLET = "New-CsClientPolicyEntry";
/**
 * Commands that change nothing in a tenant: loading the cmdlets, output, tracing. Their lines are noted and skipped
 * (when no argument runs a subexpression, which could call anything).
 */
const NEUTRAL_COMMANDS = new Map([
    ["import-module", "loads the cmdlets"], ["write-host", "prints text"], ["write-output", "prints text"], ["write-verbose", "prints text"],
    ["write-warning", "prints text"], ["write-information", "prints text"], ["write-debug", "prints text"], ["write-progress", "shows progress"],
    ["set-strictmode", "sets a script option"], ["start-transcript", "records the session"], ["stop-transcript", "records the session"],
].map(([k, v]) => [k, v]));
/** about_Preference_Variables that change how errors and messages are shown, not what a cmdlet changes. */
const PREFERENCE_VARIABLES = new Set(["erroractionpreference", "warningpreference", "verbosepreference", "debugpreference",
    "informationpreference", "progresspreference", "confirmpreference"]);
/** Commands that query users (SfB Management Shell / Lync Server), whose output a pipeline can feed into Grant. */
const USER_QUERIES = new Set(["get-csuser", "get-csaduser", "get-aduser"]);

interface PolicyState {
    identity: string;
    description?: string;
    adopt?: boolean;
    settings: Map<string, unknown>;
    createdAt?: number;
}

/** Where a problem is: a column, or a column on a given line (of a statement that spans lines). */
type At = number | { column: number; line?: number };

class LineProblem extends Error {
    readonly column: number;
    readonly line?: number;
    constructor(at: At, message: string) {
        super(message);
        this.column = typeof at === "number" ? at : at.column;
        if (typeof at !== "number" && at.line !== undefined) this.line = at.line;
    }
}

/** A statement's text on one line: line continuations (backtick before a line break) removed, for messages. */
function oneLine(text: string): string {
    return text.replace(/`(\r\n|\r|\n)[\t ]*/g, "").trim();
}

/** Converts a script; never throws for bad input (every problem is in the result). */
export function convertScript(script: string): ConvertResult {
    const policies = new Map<string, PolicyState>();
    /** user key → { spelling, policy key, canonical policy } in the order of their (latest) grant. */
    const grants = new Map<string, { user: string; policyKey: string; policy: string }>();
    const entries = new Map<string, { name: string; value: string }>();
    const problems: ConvertProblem[] = [];
    const notes: ConvertNote[] = [];
    let commands = 0;
    const problemStatements = new Set<number>();

    // The script is read as PowerShell reads it (api/powershell): comments (`#`, `<# #>`) are not commands, a backtick
    // continues a line only directly before the line break, typographic quotes and dashes are quotes and dashes.
    let parsed: PsScript;
    try {
        parsed = parsePsScript(script);
    } catch (e) {
        if (!(e instanceof PsParseError)) throw e;
        // Convert what comes before the line PowerShell cannot read; that line and the rest are one problem.
        const lines = script.split(/\r\n|\r|\n/);
        const prefix = lines.slice(0, e.line - 1).join("\n");
        const head = prefix === "" ? { statements: [], comments: [] } : safeParse(prefix);
        parsed = head;
        commands++;
        problemStatements.add(-1);
        problems.push({
            line: e.line, column: e.column, text: (lines[e.line - 1] ?? "").trim(),
            reason: `${e.message.replace(/^line \d+, column \d+: /, "")}; the script from here on (lines ${e.line}–${lines.length}) was not converted`,
        });
    }
    for (const c of parsed.comments) {
        if (/-CsClientPolicy\b/i.test(c.value)) {
            notes.push({ line: c.line, message: "a comment holds CsClientPolicy commands; commented out, so not converted" });
        }
    }

    parsed.statements.forEach((statement, index) => {
        const line = statement.line;
        const text = oneLine(statement.text);
        const neutral = neutralNote(statement);
        if (neutral) {
            notes.push({ line, message: neutral });
            return;
        }
        commands++;
        try {
            handle(statement);
        } catch (e) {
            if (e instanceof PsParseError || e instanceof LineProblem) {
                const reason = e instanceof PsParseError ? e.message.replace(/^line \d+, column \d+: /, "") : e.message;
                const suggestion = suggest(text);
                problemStatements.add(index);
                problems.push({ line: e.line ?? line, column: e.column, text, reason, ...(suggestion ? { suggestion } : {}) });
            } else throw e;
        }

        function handle(st: PsStatement): void {
            if (st.assignTo) {
                const assigned = st.assignTo;
                const entryCmd = st.pipeline?.length === 1 ? st.pipeline[0] : undefined;
                if (!entryCmd || entryCmd.name.toLowerCase() !== ENTRY_CMDLET.toLowerCase()) {
                    throw new LineProblem(assigned.token, `only $name = ${ENTRY_CMDLET} … assignments are supported`);
                }
                const cmd = commandOf({ ...st, assignTo: undefined }, { extraCmdlets: [ENTRY_CMDLET] });
                const name = stringParam(cmd, "name", ENTRY_CMDLET);
                const value = stringParam(cmd, "value", ENTRY_CMDLET);
                rejectOthers(cmd, ["name", "value"]);
                entries.set(assigned.name.toLowerCase(), { name, value });
                return;
            }
            if (st.pipeline && st.pipeline.length > 1) {
                // `… | Out-Null` only discards output.
                const kept = st.pipeline.filter((c, i) => !(i > 0 && c.name.toLowerCase() === "out-null" && c.elements.length === 0));
                if (kept.length > 1) pipelineProblem(kept);
                st = { ...st, pipeline: kept };
            }
            // Lift a variable/hashtable -PolicyEntry argument out of the command (the cmdlet grammar has no variables).
            let entryArg: { arg: PsArgument; at: { column: number; line: number } } | undefined;
            if (st.pipeline?.length === 1) {
                const node = st.pipeline[0];
                const els = [...node.elements];
                for (let i = 0; i < els.length; i++) {
                    const el = els[i];
                    if (el.kind !== "parameter" || el.name.toLowerCase() !== "policyentry") continue;
                    const next = els[i + 1];
                    const arg = el.argument ?? (next?.kind === "argument" ? next.argument : undefined);
                    if (arg && (arg.kind === "hashtable" || arg.kind === "variable")) {
                        entryArg = { arg, at: { column: arg.token.column, line: arg.token.line } };
                        els.splice(i, el.argument ? 1 : 2);
                    }
                    break;
                }
                if (entryArg) st = { ...st, pipeline: [{ ...node, elements: els }] };
            }
            const cmd = commandOf(st, { extraCmdlets: [ENTRY_CMDLET] });
            if (cmd.cmdlet === ENTRY_CMDLET) throw new LineProblem(1, `${ENTRY_CMDLET} is only converted as an assignment: $entry = ${ENTRY_CMDLET} -Name … -Value …`);
            apply(cmd, entryArg);
        }

        /** A pipeline: a user query feeding Grant is explained; anything else is outside what convert reads. */
        function pipelineProblem(cmds: readonly PsCommandNode[]): never {
            const last = cmds[cmds.length - 1];
            const first = cmds[0];
            if (last.name.toLowerCase() === "grant-csclientpolicy" && USER_QUERIES.has(first.name.toLowerCase())) {
                const query = oneLine(st_text(cmds.slice(0, -1)));
                const policyEl = last.elements.find((e) => e.kind === "parameter" && e.name.toLowerCase() === "policyname");
                const policyArg = policyEl?.kind === "parameter" ? policyEl.argument ?? nextArgument(last, policyEl) : undefined;
                const policy = policyArg?.kind === "value" && policyArg.value !== null ? String(policyArg.value) : "<policy>";
                throw new LineProblem(last.nameToken, `the users come from a query (${query}), run when the script runs; a declaration ` +
                    `lists users by name. List them with \`${query} | Select-Object -ExpandProperty SipAddress\` and put that list in the ` +
                    `grant's users (policy ${policy})`);
            }
            throw new LineProblem(cmds[1].nameToken, `unsupported syntax: a pipeline (${cmds.map((c) => c.name || "?").join(" | ")}); ` +
                "convert reads one cmdlet per statement");
        }

        function st_text(cmds: readonly PsCommandNode[]): string {
            return statement.text.slice(cmds[0].nameToken.start - statement.start, cmds[cmds.length - 1].nameToken.start - statement.start + cmds[cmds.length - 1].text.length);
        }

        function apply(cmd: PsCommand, entryArg: EntryArg | undefined): void {
            if (cmd.named.has("whatif") && cmd.named.get("whatif")!.value !== false) {
                notes.push({ line, message: "-WhatIf: the line changes nothing; not converted into the declaration" });
                return;
            }
            const identity = identityOf(cmd);
            switch (cmd.cmdlet) {
                case "Get-CsClientPolicy":
                    rejectOthers(cmd, ["identity", "filter", "localstore", "tenant"]);
                    notes.push({ line, message: "Get-CsClientPolicy reads only: no change" });
                    return;
                case "New-CsClientPolicy": {
                    if (!identity) throw new LineProblem(1, "New-CsClientPolicy needs -Identity (site:<name> or a per-user policy name)");
                    const id = policyIdentity(identity);
                    if (id.scope === "global") throw new LineProblem(identity, "Global always exists and cannot be created; use Set-CsClientPolicy -Identity Global");
                    const existing = policies.get(id.key);
                    if (existing) {
                        throw new LineProblem(identity, existing.createdAt
                            ? `${id.canonical} was already created at line ${existing.createdAt}; New fails on an existing policy (use Set-CsClientPolicy)`
                            : `${id.canonical} already exists (the script changed it with Set before); New fails on an existing policy`);
                    }
                    const state: PolicyState = { identity: id.canonical, settings: new Map(), createdAt: line };
                    applySettings(cmd, state, entryArg);
                    policies.set(id.key, state);
                    return;
                }
                case "Set-CsClientPolicy": {
                    if (cmd.named.has("instance")) throw new LineProblem(cmd.named.get("instance")!, "-Instance takes an object from a variable or the pipeline; set the parameters directly instead");
                    const id = identity ? policyIdentity(identity) : policyIdentity({ value: "Global", column: 1 });
                    let state = policies.get(id.key);
                    const fresh = !state;
                    if (!state) state = { identity: id.canonical, settings: new Map(), ...(id.scope === "global" ? {} : { adopt: true }) };
                    applySettings(cmd, state, entryArg);
                    if (fresh) {
                        policies.set(id.key, state);
                        notes.push({
                            line, message: id.scope === "global"
                                ? "Global is declared with the settings this script sets; its other settings become unset when the declaration is applied (export the tenant first to keep them)"
                                : `${id.canonical} is not created by this script, so it is declared with adopt: true; settings this script does not set become unset when it is taken over (export the tenant first to keep them)`,
                        });
                    }
                    return;
                }
                case "Remove-CsClientPolicy": {
                    rejectOthers(cmd, ["identity", "force", "confirm", "tenant"]);
                    if (!identity) throw new LineProblem(1, "Remove-CsClientPolicy needs -Identity");
                    const id = policyIdentity(identity);
                    if (id.scope === "global") {
                        policies.set(id.key, { identity: "Global", settings: new Map() });
                        notes.push({ line, message: "Remove-CsClientPolicy -Identity Global resets Global: declared with no settings" });
                        return;
                    }
                    const state = policies.get(id.key);
                    if (!state?.createdAt) {
                        policies.delete(id.key);
                        throw new LineProblem(identity, `deletes ${id.canonical}, which this script did not create: a declaration only holds what should exist, ` +
                            "so it cannot delete an object it does not declare (delete it by hand, or declare it and remove it from the code after one deployment)");
                    }
                    policies.delete(id.key);
                    for (const [user, g] of grants) if (g.policyKey === id.key) grants.delete(user);
                    return;
                }
                case "Grant-CsClientPolicy": {
                    rejectOthers(cmd, ["identity", "policyname", "tenant"]);
                    if (!identity) throw new LineProblem(1, "Grant-CsClientPolicy needs -Identity <user>");
                    if (typeof identity.value !== "string" || identity.value.trim() === "") throw new LineProblem(identity, "-Identity must be a user (SIP address, UPN, DOMAIN\\logon, display name or object id)");
                    if (identity.value.includes("*")) throw new LineProblem(identity, "-Identity takes one user, no wildcards");
                    const named = cmd.named.get("policyname");
                    const positional = cmd.positional[cmd.named.has("identity") ? 0 : 1];
                    const policy = named ?? (positional ? { value: positional.value, column: positional.column, line: positional.line } : undefined);
                    if (cmd.positional.length > (cmd.named.has("identity") ? 1 : 2) - (named ? 1 : 0)) {
                        const extra = cmd.positional[cmd.positional.length - 1];
                        throw new LineProblem(extra, `unexpected argument ${JSON.stringify(String(extra.value))} (a forgotten "-" before a parameter name?)`);
                    }
                    if (!policy) throw new LineProblem(1, "Grant-CsClientPolicy needs -PolicyName <name> (or $null to unassign)");
                    const userKey = identity.value.trim().toLowerCase();
                    if (policy.value === null) {
                        if (!grants.has(userKey)) {
                            throw new LineProblem(policy, `unassigns "${identity.value}", whom this script did not grant: a declaration lists who holds a policy, ` +
                                "not who holds none (the user keeps any grant made outside the script)");
                        }
                        grants.delete(userKey);
                        return;
                    }
                    const p = parseGrantPolicyName(String(policy.value));
                    if (isIdentityError(p)) throw new LineProblem(policy, `-PolicyName: ${p.error}`);
                    grants.delete(userKey); // a re-grant moves the user to the end, under the new policy
                    grants.set(userKey, { user: identity.value.trim(), policyKey: p.key, policy: policies.get(p.key)?.identity ?? p.canonical });
                    return;
                }
                default:
                    throw new LineProblem(1, `${cmd.cmdlet} is not converted`);
            }
        }
    });

    function applySettings(cmd: PsCommand, state: PolicyState, entryArg: EntryArg | undefined): void {
        const pending = new Map<string, unknown>();
        let description: string | null | undefined;
        if (cmd.positional.length > (cmd.named.has("identity") ? 0 : 1)) {
            const extra = cmd.positional[cmd.named.has("identity") ? 0 : 1];
            throw new LineProblem(extra, `unexpected argument ${JSON.stringify(String(extra.value))} (a forgotten "-" before a parameter name?)`);
        }
        for (const [lower, { name, value, column: col, line }] of cmd.named) {
            const column = { column: col, line };
            if (lower === "identity" || IGNORED.has(lower)) continue;
            if (lower === "tenant") throw new LineProblem(column, "-Tenant selects a tenant; a declaration is per stack (set clientpolicy:tenantId instead)");
            const def = settingByWireName(lower, "caseInsensitive");
            if (!def) {
                const guess = suggestName(name, SETTINGS.map((d) => d.name));
                throw new LineProblem(column, `-${name} is not a parameter of ${cmd.cmdlet}${guess ? `; did you mean -${guess}?` : ""}`);
            }
            if (def.kind === "policyEntry") {
                if (value !== null) throw new LineProblem(column, `-PolicyEntry takes entries from ${ENTRY_CMDLET} ($x = ${ENTRY_CMDLET} -Name … -Value …; -PolicyEntry @{Add=$x}) or $null`);
                pending.set("policyEntry", null);
                continue;
            }
            const key = camelName(def.name);
            if (value === null) {
                if (key === "description") description = null;
                else pending.set(key, null);
                continue;
            }
            const result = validateSetting(def, coerce(def, value), "wire");
            if (!result.ok) throw new LineProblem(column, `-${def.name}: ${result.message}${def.kind === "boolean" ? " ($True or $False)" : ""}`);
            if (key === "description") description = result.value as string;
            else pending.set(key, result.value);
        }
        if (entryArg) pending.set("policyEntry", entryList(entryArg, state.settings.get("policyEntry") as Array<{ name: string; value: string }> | undefined));
        // All or nothing per line, as a cmdlet that fails to bind changes nothing.
        for (const [k, v] of pending) {
            if (v === null || (Array.isArray(v) && v.length === 0)) state.settings.delete(k);
            else state.settings.set(k, v);
        }
        if (description === null) delete state.description;
        else if (description !== undefined) state.description = description;
    }

    function entryList({ arg, at }: EntryArg, current: Array<{ name: string; value: string }> | undefined) {
        const lookup = (v: PsArgument) => {
            if (v.kind !== "variable") throw new LineProblem(v.token, `-PolicyEntry takes entries from variables set by ${ENTRY_CMDLET}, got ${v.token.text}`);
            const e = entries.get(v.name.toLowerCase());
            if (!e) throw new LineProblem(v.token, `$${v.name} is not an entry defined earlier with $${v.name} = ${ENTRY_CMDLET} -Name … -Value …`);
            return e;
        };
        if (arg.kind === "variable") return [lookup(arg)];
        const [entry, extra] = arg.kind === "hashtable" ? arg.entries : [];
        const op = entry?.key.toLowerCase();
        if (!entry || extra || !(op === "add" || op === "remove" || op === "replace")) {
            throw new LineProblem(at, "-PolicyEntry takes @{Add=$x}, @{Remove=$x}, @{Replace=$x} (entries separated by commas), $x or $null");
        }
        const items = entry.values.map(lookup);
        const list = [...(current ?? [])];
        switch (op) {
            case "add": return [...list, ...items];
            case "replace": return items;
            default: return list.filter((x) => !items.some((i) => i.name === x.name && i.value === x.value));
        }
    }

    const policyList: PolicyDeclaration[] = [...policies.values()].map((s) => {
        const settings: Record<string, unknown> = {};
        for (const d of SETTINGS) {
            const k = camelName(d.name);
            if (!s.settings.has(k)) continue;
            const v = s.settings.get(k);
            settings[k] = d.kind === "policyEntry" ? (v as Array<{ name: string; value: string }>).map((x) => ({ name: x.name, value: x.value })) : v;
        }
        const out: PolicyDeclaration = { identity: s.identity, settings };
        if (s.description !== undefined) out.description = s.description;
        if (s.adopt) out.adopt = true;
        return out;
    });
    const grouped = new Map<string, GrantDeclaration>();
    for (const g of grants.values()) {
        let decl = grouped.get(g.policyKey);
        if (!decl) grouped.set(g.policyKey, (decl = { policy: policies.get(g.policyKey)?.identity ?? g.policy, users: [] }));
        decl.users.push(g.user);
    }
    notes.sort((x, y) => x.line - y.line);
    return { declaration: { policies: policyList, grants: [...grouped.values()] }, problems, notes, commands, converted: commands - problemStatements.size };
}

/** A `-PolicyEntry` argument that names variables (`$x`, `@{Add=$x}`), lifted out of the command before it is parsed. */
interface EntryArg {
    arg: PsArgument;
    at: { column: number; line: number };
}

/** Parses a prefix of a script already known to tokenize (the part before an unreadable line). */
function safeParse(text: string): PsScript {
    try {
        return parsePsScript(text);
    } catch {
        return { statements: [], comments: [] };
    }
}

/**
 * The note for a statement that changes nothing in a tenant (module import, output, a preference variable), or
 * undefined. A statement with a subexpression or script block is never neutral: it could run anything.
 */
function neutralNote(st: PsStatement): string | undefined {
    const runsCode = (arg: PsArgument | undefined) => !!arg && (arg.kind === "unsupported" && (/[({]/.test(arg.token.text[0] ?? "") || arg.token.text.includes("$(") || arg.token.text.startsWith("@(")));
    if (st.assignTo && st.expression && PREFERENCE_VARIABLES.has(st.assignTo.name.toLowerCase()) && !runsCode(st.expression)) {
        return `$${st.assignTo.name} is a preference variable (how errors and messages are shown): nothing to declare`;
    }
    if (st.assignTo || st.pipeline?.length !== 1) return undefined;
    const [cmd] = st.pipeline;
    const what = cmd.nameToken.kind === "word" ? NEUTRAL_COMMANDS.get(cmd.name.toLowerCase()) : undefined;
    if (!what) return undefined;
    if (cmd.elements.some((e) => runsCode(e.kind === "parameter" ? e.argument : e.argument))) return undefined;
    return `${cmd.name} ${what}: nothing to declare`;
}

/** The argument after a parameter given without a colon (`-PolicyName X`), if any. */
function nextArgument(cmd: PsCommandNode, param: PsElement): PsArgument | undefined {
    const i = cmd.elements.indexOf(param);
    const next = cmd.elements[i + 1];
    return next?.kind === "argument" ? next.argument : undefined;
}

function identityOf(cmd: PsCommand): { value: PsValue; column: number; line?: number } | undefined {
    const named = cmd.named.get("identity");
    if (named) return { value: named.value, column: named.column, line: named.line };
    const first = cmd.positional[0];
    return first ? { value: first.value, column: first.column, line: first.line } : undefined;
}

function policyIdentity(arg: { value: PsValue; column: number; line?: number }) {
    const id = parsePolicyIdentity(typeof arg.value === "number" ? String(arg.value) : arg.value);
    if (isIdentityError(id)) throw new LineProblem(arg, `-Identity: ${id.error}`);
    return id;
}

function stringParam(cmd: PsCommand, name: string, cmdlet: string): string {
    const p = cmd.named.get(name);
    if (!p || (typeof p.value !== "string" && typeof p.value !== "number") || String(p.value) === "") {
        throw new LineProblem(p ?? 1, `${cmdlet} needs -${name[0].toUpperCase()}${name.slice(1)} <non-empty string>`);
    }
    return String(p.value);
}

function rejectOthers(cmd: PsCommand, allowed: string[]): void {
    for (const [lower, { name, column, line }] of cmd.named) {
        if (!allowed.includes(lower) && !IGNORED.has(lower)) {
            throw new LineProblem({ column, line }, `-${name} is not a parameter of ${cmd.cmdlet} that convert handles (expected ${allowed.map((a) => `-${a}`).join(", ")})`);
        }
    }
}

/** PowerShell's conversion of an argument to the parameter's type, as the emulator's endpoint does it. */
function coerce(def: SettingDef, v: PsValue): unknown {
    if (def.kind === "uint" && typeof v === "string" && /^\d+$/.test(v)) return Number(v);
    if ((def.kind === "string" || def.kind === "enum") && typeof v === "number") return String(v);
    return v;
}

/**
 * A corrected line for common typing slips, when the correction converts cleanly: a space around the dash of the
 * cmdlet name (`Grant -CsClientPolicy`), a space after a parameter's dash (`- PolicyName`), a misspelt parameter name,
 * a forgotten dash before a parameter name (`Set-CsClientPolicy -Identity Global EnableIMAutoArchiving $False`).
 */
/** A parameter name of the client-policy cmdlets (any case): a setting, Identity or PolicyName. */
function isParameterName(word: string): boolean {
    return ["identity", "policyname"].includes(word.toLowerCase()) || settingByWireName(word, "caseInsensitive") !== undefined;
}

/** True when position `at` of `text` lies inside a '…' or "…" string (quotes counted from the line's start). */
function insideQuotes(text: string, at: number): boolean {
    let quote: string | undefined;
    for (let i = 0; i < at; i++) {
        const c = text[i];
        if (quote === undefined && (c === "'" || c === '"')) quote = c;
        else if (c === quote) quote = undefined;
    }
    return quote !== undefined;
}

export function suggest(text: string): string | undefined {
    let fixed = text
        .replace(/^(\s*)(New|Set|Get|Remove|Grant)\s*-\s*(CsClientPolicy)\b/i, (_m, sp: string, verb: string, noun: string) => `${sp}${verb}-${noun}`)
        .replace(/(\s)-\s+([A-Za-z][A-Za-z0-9]*)/g, "$1-$2")
        .replace(/(\s)([A-Za-z][A-Za-z0-9]*)(?=\s|:|$)/g, (m, sp: string, word: string, at: number, whole: string) =>
            isParameterName(word) && !insideQuotes(whole, at) ? `${sp}-${word}` : m);
    fixed = fixed.replace(/(\s)-([A-Za-z][A-Za-z0-9]*)/g, (m, sp: string, name: string) => {
        const lower = name.toLowerCase();
        if (["identity", "policyname", "force", "confirm", "whatif"].includes(lower) || settingByWireName(lower, "caseInsensitive")) return m;
        const guess = suggestName(name, [...SETTINGS.map((d) => d.name), "Identity", "PolicyName"]);
        return guess ? `${sp}-${guess}` : m;
    });
    if (fixed === text) return undefined;
    const trial = convertScript(fixed);
    return trial.problems.length === 0 ? fixed.trim() : undefined;
}

/**
 * The gateway self-test: reads Global and one user through the real shell (the configured pool) and checks that the
 * projection and the server agree — every catalogue setting present in Global's projection, nothing extra, each value
 * accepted by the catalogue; the user projected with every field. This is what tells an administrator that the
 * gateway's module, their server's cmdlets and this package's catalogue line up, before any client connects.
 */
import { SETTINGS, validateSetting } from "../api/catalogue";
import type { ShellRunner } from "./shell";
import { Ps } from "./commands";

/** One finding of the self-test. */
export interface SelfTestFinding {
    check: string;
    ok: boolean;
    detail: string;
}

/** Runs the checks; never throws for a mismatch (it becomes a failed finding). */
export async function selfTest(shell: ShellRunner, user: string): Promise<SelfTestFinding[]> {
    const out: SelfTestFinding[] = [];
    const lines = [Ps.getPolicy("Global"), Ps.getUser(user)];
    const [global, u] = await shell.run(lines, { stopOnError: false });
    if (!global.ok) {
        out.push({ check: "Get-CsClientPolicy -Identity Global", ok: false, detail: "error" in global ? `${global.error.id}: ${global.error.message}` : "skipped" });
    } else if (global.output.length !== 1 || global.output[0] === null || typeof global.output[0] !== "object") {
        out.push({ check: "Get-CsClientPolicy -Identity Global", ok: false, detail: `expected one projected object, got ${global.output.length}` });
    } else {
        const p = global.output[0] as Record<string, unknown>;
        out.push({ check: "Global identity", ok: p.Identity === "Global", detail: `Identity = ${JSON.stringify(p.Identity)}` });
        const extra = Object.keys(p).filter((k) => k !== "Identity" && !SETTINGS.some((d) => d.name === k));
        out.push({ check: "no settings unknown to the catalogue", ok: extra.length === 0, detail: extra.length === 0 ? "none" : extra.join(", ") });
        for (const d of SETTINGS) {
            if (!(d.name in p)) { out.push({ check: d.name, ok: false, detail: "missing from the projection (module older than the catalogue?)" }); continue; }
            const v = p[d.name];
            if (v === null) { out.push({ check: d.name, ok: true, detail: "unset" }); continue; }
            const r = validateSetting(d, v, "wire");
            out.push({ check: d.name, ok: r.ok, detail: r.ok ? JSON.stringify(r.value) : `${JSON.stringify(v)}: ${r.message}` });
        }
    }
    if (!u.ok) {
        out.push({ check: `Get-CsUser -Identity ${user}`, ok: false, detail: "error" in u ? `${u.error.id}: ${u.error.message}` : "skipped" });
    } else {
        const o = (u.output[0] ?? {}) as Record<string, unknown>;
        const fields = ["Id", "SipAddress", "UserPrincipalName", "DisplayName"];
        const missing = fields.filter((f) => typeof o[f] !== "string" || o[f] === "");
        out.push({ check: `Get-CsUser -Identity ${user}`, ok: u.output.length === 1 && missing.length === 0, detail: u.output.length !== 1 ? `${u.output.length} users matched` : missing.length ? `missing ${missing.join(", ")}` : `${o.DisplayName} <${o.SipAddress}>, ClientPolicy ${JSON.stringify(o.ClientPolicy ?? null)}` });
        const cp = o.ClientPolicy;
        out.push({ check: "user ClientPolicy is a name without Tag:", ok: cp === null || cp === undefined || (typeof cp === "string" && !/^tag:/i.test(cp)), detail: JSON.stringify(cp ?? null) });
    }
    return out;
}

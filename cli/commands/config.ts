/**
 * `clientpolicy config show <stack>`: the merged declaration of one tenant of a config repo (`baseline.yaml` +
 * `tenants/<stack>.yaml`, provider/tenantConfig) and where each item came from. Reads files only; never contacts a
 * tenant. Format and merge rules: docs/config-repo.md.
 */
import * as path from "node:path";
import { Command, Option } from "commander";
import { isMap, isSeq, Pair, parseDocument, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { ItemProvenance, LoadedDeclaration, TenantConfigError, loadConfigRepo, writeTenantYaml } from "../../provider/tenantConfig";
import { CliError } from "../errors";

interface ShowFlags {
    dir: string;
    format: "yaml" | "json";
}

/** Registers `config` (with `config show`) on the program. */
export function register(program: Command): void {
    const config = program.command("config")
        .description("Inspect a config repo: baseline.yaml (the fleet standard) + tenants/<stack>.yaml (one tenant's changes).");
    config.command("show")
        .description("Print a tenant's merged declaration and, per item, where it came from " +
            "(baseline / tenant override / tenant addition / removed).")
        .argument("<stack>", "the stack (tenant) name: reads tenants/<stack>.yaml")
        .option("--dir <dir>", "the config repo folder holding baseline.yaml and tenants/", ".")
        .addOption(new Option("--format <format>", "output format").choices(["yaml", "json"]).default("yaml"))
        .addHelpText("after", [
            "",
            "yaml: the merged declaration in the config-repo format, each item preceded by a comment saying where it came",
            "from, overridden settings marked `# tenant`, and the removed baseline items listed at the end.",
            "json: { stack, files, declaration, items: [{ kind, name, origin, overridden?, unset?, reason? }] }.",
            "",
            "Every problem of both files is listed on stderr at once (file:line:column: YAML path: what was expected).",
            "Exit codes: 0 printed; 1 a file is missing or invalid (nothing printed on stdout).",
            "",
            "Example:",
            "  clientpolicy config show fabrikam --dir examples/multi-tenant",
        ].join("\n"))
        .action((stack: string, flags: ShowFlags) => {
            process.stdout.write(showConfig(stack, flags));
        });
}

/** The text `config show` prints; throws {@link CliError} listing every problem. */
export function showConfig(stack: string, flags: ShowFlags): string {
    let loaded: LoadedDeclaration;
    try {
        loaded = loadConfigRepo(path.resolve(flags.dir), stack);
    } catch (e) {
        if (e instanceof TenantConfigError) throw new CliError(e.message);
        throw e;
    }
    if (flags.format === "json") {
        return JSON.stringify({ stack, files: loaded.files, declaration: loaded.declaration, items: loaded.provenance }, null, 2) + "\n";
    }
    return annotatedYaml(stack, loaded);
}

const ORIGIN_TEXT = { baseline: "from the baseline", override: "baseline, changed by the tenant file", addition: "added by the tenant file", removed: "removed" } as const;

/** The merged YAML with one comment per item (provenance) and `# tenant` on each overridden setting. */
function annotatedYaml(stack: string, loaded: LoadedDeclaration): string {
    // Reuse the serializer's layout (field order, quoting), then attach comments to its nodes.
    const src = parseDocument(writeTenantYaml(loaded.declaration));
    const find = (kind: "policy" | "grant", i: number): ItemProvenance | undefined =>
        loaded.provenance.filter((p) => p.kind === kind && p.origin !== "removed")[i];
    for (const [key, kind] of [["policies", "policy"], ["grants", "grant"]] as const) {
        const seq = src.get(key, true);
        if (!isSeq(seq)) continue;
        (seq as YAMLSeq).items.forEach((node, i) => {
            const p = find(kind, i);
            if (!p || !isMap(node)) return;
            let note = ORIGIN_TEXT[p.origin];
            if (p.origin === "override") {
                const parts = [];
                if (p.overridden?.length) parts.push(`changed: ${p.overridden.join(", ")}`);
                if (p.unset?.length) parts.push(`unset: ${p.unset.join(", ")}`);
                if (!parts.length) parts.push("no effective change");
                note += ` (${parts.join("; ")})`;
            }
            (node as YAMLMap).commentBefore = ` ${note}`;
            if (p.origin !== "override" || !p.overridden?.length) return;
            const settings = (node as YAMLMap).get("settings", true);
            const marked = new Set(p.overridden);
            if (isMap(settings)) {
                for (const pair of (settings as YAMLMap).items as Pair[]) {
                    const k = (pair.key as Scalar).value as string;
                    if (marked.has(k) && pair.value && typeof pair.value === "object") (pair.value as Scalar).comment = " tenant";
                }
            }
            for (const field of ["description", "adopt", "users"]) {
                if (!marked.has(field)) continue;
                const pair = ((node as YAMLMap).items as Pair[]).find((x) => (x.key as Scalar).value === field);
                if (pair?.value && typeof pair.value === "object") (pair.value as Scalar).comment = " tenant";
            }
        });
    }
    const files = loaded.files.baseline ? `${loaded.files.baseline} + ${loaded.files.tenant}` : loaded.files.tenant;
    src.commentBefore = ` stack ${stack}: ${files} (merged by clientpolicy config show)`;
    const removed = loaded.provenance.filter((p) => p.origin === "removed");
    if (removed.length) {
        src.comment = [" removed from the baseline:", ...removed.map((p) => `   ${p.kind} ${p.name}: ${p.reason}`)].join("\n");
    }
    return src.toString({ lineWidth: 0 });
}

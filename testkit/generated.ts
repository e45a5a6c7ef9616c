/**
 * Every generated file of the repository, each with the generator that owns its text: `npm run generate`
 * (scripts/generate.ts) writes them, and test/unit/generated.test.ts fails when a committed one differs from what its
 * generator says. A file that is partly hand-written holds its generated part between two marker lines, and only
 * that block is generated.
 *
 * | file | from |
 * |---|---|
 * | api/openapi.yaml | the wire contract, the settings catalogue and the error table (api/openapi.ts) |
 * | gateway/module/ClientPolicyGateway.psm1 | the cmdlet table and the catalogue (gateway/module.ts) |
 * | gateway/jea/… .pssc, .psrc | the cmdlet table, default options (gateway/jea.ts) |
 * | docs/resources/client-policy.md, settings block | the settings catalogue (api/catalogue.ts) |
 * | docs/errors.md, error-table block | the error table (api/errors.ts) |
 * | docs/report-sample.md, README.md sample-report block | the committed report docs/report-sample.json, rendered as `clientpolicy report` renders Markdown |
 *
 * docs/report-sample.json is itself written by a real run (scripts/sample-report.ts), which needs emulators and the
 * Pulumi CLI, so it is an input here, not an output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SETTINGS, camelName, expectation } from "../api/catalogue";
import { ERROR_TABLE, type AnyErrorCode, type ErrorRow, type ErrorSource } from "../api/errors";
import { OPENAPI_YAML_PATH, renderOpenApiYaml } from "../api/openapi";
import { readReport } from "../cli/report/io";
import { DEFAULT_BUDGET, renderMarkdown } from "../cli/report/markdown";
import { renderRoleCapability, renderSessionConfiguration } from "../gateway/jea";
import { MODULE_PATH, renderModule } from "../gateway/module";

/** Repository root (this file lives in testkit/). */
const ROOT = path.resolve(__dirname, "..");

/** One generated file: its path from the repository root and its whole expected text, given its committed text. */
export interface Artefact {
    readonly file: string;
    render(committed: string | undefined): string;
}

/** The committed report the README's and docs/report-sample.md's sample is rendered from. */
export const SAMPLE_REPORT_JSON = "docs/report-sample.json";

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The settings table of docs/resources/client-policy.md. */
function settingsTable(): string {
    return [
        "| input | accepts | documented default | flagged | description |",
        "|---|---|---|---|---|",
        ...SETTINGS.map((d) => `| \`${camelName(d.name)}\` | ${cell(expectation(d, "input"))} | ` +
            `${d.default === undefined ? "—" : `\`${JSON.stringify(d.default)}\``} | ${d.status ?? ""} | ${cell(d.description)} |`),
    ].join("\n");
}

const SOURCE_TITLES: Record<ErrorSource, string> = {
    tenant: "Tenant API answers (`{\"error\":{\"code\",\"message\",\"target\"?,\"details\"?}}`; statuses per route in `api/openapi.yaml`)",
    token: "Token endpoint answers (OAuth2 `{\"error\",\"error_description\"}`)",
    proxy: "Answers of a proxy in front of the API (no backend answers them)",
    network: "Network failures (no answer arrived; Node's code)",
    provider: "Raised by the provider or the CLI itself",
};

/** The error table of docs/errors.md: every row of api/errors.ts, grouped by who produces the code. */
function errorTable(): string {
    const rows = Object.entries(ERROR_TABLE) as [AnyErrorCode, ErrorRow][];
    const out: string[] = [];
    for (const source of Object.keys(SOURCE_TITLES) as ErrorSource[]) {
        out.push(`**${SOURCE_TITLES[source]}**`, "",
            "| code | status | provider class | retried | PowerShell category | report kind | meaning |", "|---|---|---|---|---|---|---|");
        for (const [code, r] of rows.filter(([, row]) => row.source === source)) {
            out.push(`| \`${code}\` | ${r.status ?? "—"} | \`${r.class}\` | ${r.retryable ? "yes" : "no"} | ` +
                `${r.powerShell?.join(", ") ?? "—"} | ${r.kind} | ${cell(r.note ?? "")} |`);
        }
        out.push("");
    }
    return out.join("\n").trimEnd();
}

/** The sample report as `clientpolicy report --format md` renders it (the full report beside it as report.json). */
function sampleReportMarkdown(): string {
    return renderMarkdown(readReport(path.join(ROOT, SAMPLE_REPORT_JSON)), { budget: DEFAULT_BUDGET, fullReport: "report.json" });
}

/**
 * The block between `<!-- NAME:begin … -->` (or `:start`) and `<!-- NAME:end -->` of a hand-written file, replaced by
 * `body`; the marker lines stay as they are. A file without both markers is an error naming them.
 */
function block(file: string, name: string, body: () => string): Artefact {
    return {
        file,
        render(committed) {
            if (committed === undefined) throw new Error(`${file} does not exist`);
            const lines = committed.split("\n");
            const begin = lines.findIndex((l) => l.startsWith(`<!-- ${name}:begin`) || l.startsWith(`<!-- ${name}:start`));
            const end = lines.indexOf(`<!-- ${name}:end -->`);
            if (begin < 0 || end < begin) throw new Error(`${file} needs the marker lines <!-- ${name}:begin … --> and <!-- ${name}:end -->`);
            return [...lines.slice(0, begin + 1), body(), ...lines.slice(end)].join("\n");
        },
    };
}

const whole = (file: string, render: () => string): Artefact => ({ file, render: () => render() });
const fromRoot = (abs: string) => path.relative(ROOT, abs).split(path.sep).join("/");

/** Every generated file. */
export const ARTEFACTS: readonly Artefact[] = [
    whole(fromRoot(OPENAPI_YAML_PATH), renderOpenApiYaml),
    whole(fromRoot(MODULE_PATH), renderModule),
    whole("gateway/jea/ClientPolicyGateway.pssc", () => renderSessionConfiguration()),
    whole("gateway/jea/RoleCapabilities/ClientPolicyGateway.psrc", renderRoleCapability),
    block("docs/resources/client-policy.md", "settings-table", settingsTable),
    block("docs/errors.md", "error-table", errorTable),
    whole("docs/report-sample.md", sampleReportMarkdown),
    block("README.md", "sample-report", () => `\n\`\`\`\`markdown\n${sampleReportMarkdown()}\`\`\`\`\n`),
];

/** The committed text of a generated file (undefined when it does not exist). */
export function committedText(a: Artefact): string | undefined {
    const file = path.join(ROOT, a.file);
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

/** Each generated file whose committed text differs from its generator's, with the expected text. */
export function staleArtefacts(): { file: string; expected: string }[] {
    return ARTEFACTS.flatMap((a) => {
        const committed = committedText(a);
        const expected = a.render(committed);
        return committed === expected ? [] : [{ file: a.file, expected }];
    });
}

/** Writes every stale generated file; returns their paths. */
export function writeArtefacts(): string[] {
    const stale = staleArtefacts();
    for (const s of stale) {
        fs.mkdirSync(path.dirname(path.join(ROOT, s.file)), { recursive: true });
        fs.writeFileSync(path.join(ROOT, s.file), s.expected);
    }
    return stale.map((s) => s.file);
}

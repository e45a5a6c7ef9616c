/**
 * `clientpolicy export --format yaml --out DIR`: a config repo (docs/config-repo.md, laid out as examples/multi-tenant)
 * holding one tenant, ready for `npm install`, `pulumi stack init <stack>` and a `pulumi up` that adopts the tenant
 * without changing it:
 *
 *     baseline.yaml           empty: the fleet standard is for the administrator to write
 *     tenants/<stack>.yaml    everything the tenant holds, every item with adopt: true
 *     Pulumi.yaml             the project (nodejs, TypeScript)
 *     Pulumi.<stack>.yaml     the tenant connection (endpoint, tenant id, client id; the secret is never written)
 *     package.json            clientpolicy-as-code and @pulumi/pulumi pinned, typescript in devDependencies
 *     index.ts, tsconfig.json the config repo's program (loadTenantDeclaration + TenantPolicies)
 *     .gitignore
 *
 * Data goes through one emitter per language: the `yaml` library (and writeTenantYaml) for the YAML files,
 * JSON.stringify for the JSON files. index.ts and tsconfig.json hold no data from the tenant.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { CONFIG_NAMESPACE, ProviderConfig } from "../../provider/config";
import { CliError } from "../errors";
import { yamlCommentText } from "../emit/typescript";

/** Pulumi project and stack names: letters, digits, `-`, `_`, `.` (Pulumi's rule; also loadConfigRepo's for stacks). */
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** What the repo is made of, besides the tenant file's text. */
export interface RepoSpec {
    /** The Pulumi project name (`name:` of Pulumi.yaml, `name` of package.json). */
    readonly project: string;
    /** The stack (tenant) name: `tenants/<stack>.yaml`, `Pulumi.<stack>.yaml`. */
    readonly stack: string;
    /** The connection written into `Pulumi.<stack>.yaml` (its secret is not). */
    readonly config: ProviderConfig;
    /** How package.json asks for this package: a version, a tarball path or a git URL. */
    readonly packageSpec: string;
    /** The text of `tenants/<stack>.yaml` (renderYaml). */
    readonly tenantYaml: string;
}

/** Checks `--project` and `--stack-name` values before anything is read or written. */
export function checkNames(project: string, stack: string): void {
    if (!NAME.test(project)) throw new CliError(`--project must be a Pulumi project name (letters, digits, "-", "_", "."), got ${JSON.stringify(project)}`);
    if (!NAME.test(stack)) throw new CliError(`--stack-name must be a stack name (letters, digits, "-", "_", "."), got ${JSON.stringify(stack)}`);
}

/** The package's own package.json (this file is cli/export/repo.ts in a clone, dist/cli/export/repo.js when installed). */
function ownPackage(): { version: string; dependencies: Record<string, string>; devDependencies?: Record<string, string> } {
    for (const rel of ["../../package.json", "../../../package.json"]) {
        const file = path.join(__dirname, rel);
        if (fs.existsSync(file)) {
            const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
            if (pkg.name === "clientpolicy-as-code") return pkg;
        }
    }
    throw new CliError("cannot find the package.json of clientpolicy-as-code next to the command");
}

/**
 * Versions a config repo pins: `@pulumi/pulumi` as this package depends on it (the SDK the provider was built and
 * tested with), and the TypeScript toolchain this package is developed with; without `typescript` installed, Pulumi
 * compiles with its own TypeScript 3.8, which lets typos in settings through.
 */
export function pinnedVersions(): { version: string; pulumi: string; dev: Record<string, string> } {
    const pkg = ownPackage();
    const dev: Record<string, string> = {};
    for (const name of ["@types/node", "ts-node", "typescript"]) {
        const v = pkg.devDependencies?.[name];
        if (v) dev[name] = v;
    }
    return { version: pkg.version, pulumi: pkg.dependencies["@pulumi/pulumi"], dev };
}

/** The program of a config repo (docs/config-repo.md): the stack's tenant file merged onto the baseline. */
const PROGRAM = `// A config repo: one program, one stack per tenant (docs/config-repo.md of clientpolicy-as-code). baseline.yaml is the
// fleet standard, tenants/<stack>.yaml each tenant's changes; \`npx --no-install clientpolicy config show <stack>\`
// prints the merge and where each item came from.
import * as pulumi from "@pulumi/pulumi";
import * as cp from "clientpolicy-as-code";

const { declaration } = cp.loadTenantDeclaration({
    cwd: __dirname, baseline: "baseline.yaml", tenant: \`tenants/\${pulumi.getStack()}.yaml\`,
});
const tenant = new cp.TenantPolicies("tenant", { declaration });

export const policyIdentities = tenant.identities;
`;

const TSCONFIG = {
    compilerOptions: {
        target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, types: ["node"],
        skipLibCheck: true, sourceMap: true, outDir: "bin",
    },
    files: ["index.ts"],
};

/** A YAML document with a header comment, written by the `yaml` library. */
function yamlFile(value: unknown, header: readonly string[]): string {
    return header.map((l) => `# ${yamlCommentText(l)}`.trimEnd()).join("\n") + "\n" + stringify(value, { lineWidth: 0 });
}

/** Every file of the repo: relative path → text. */
export function repoFiles(spec: RepoSpec): Map<string, string> {
    const pins = pinnedVersions();
    const files = new Map<string, string>();
    files.set("baseline.yaml", yamlFile({ policies: [], grants: [] }, [
        "The fleet standard every tenant starts from (docs/config-repo.md): empty after an export, so each tenant file holds",
        "its tenant as it is. Move what all tenants share here; a tenant file then changes single settings of it.",
    ]));
    files.set(path.join("tenants", `${spec.stack}.yaml`), spec.tenantYaml);
    files.set("Pulumi.yaml", stringify({
        name: spec.project,
        description: `Client policies of tenant ${spec.config.tenantId}, one stack per tenant (clientpolicy export)`,
        runtime: { name: "nodejs", options: { typescript: true } },
    }, { lineWidth: 0 }));
    files.set(`Pulumi.${spec.stack}.yaml`, yamlFile({
        config: {
            [`${CONFIG_NAMESPACE}:endpoint`]: spec.config.endpoint,
            [`${CONFIG_NAMESPACE}:tenantId`]: spec.config.tenantId,
            [`${CONFIG_NAMESPACE}:clientId`]: spec.config.clientId,
        },
    }, [
        `Stack ${spec.stack}: the tenant it manages. The client secret is not written here; set it encrypted, from stdin:`,
        `  pulumi config set --secret ${CONFIG_NAMESPACE}:clientSecret`,
    ]));
    files.set("package.json", JSON.stringify({
        name: spec.project.toLowerCase().replace(/[^a-z0-9._-]/g, "-"),
        version: "1.0.0",
        private: true,
        main: "index.ts",
        dependencies: { "@pulumi/pulumi": pins.pulumi, "clientpolicy-as-code": spec.packageSpec },
        devDependencies: pins.dev,
    }, null, 2) + "\n");
    files.set("index.ts", PROGRAM);
    files.set("tsconfig.json", JSON.stringify(TSCONFIG, null, 2) + "\n");
    files.set(".gitignore", "node_modules/\nbin/\n");
    return files;
}

/** The paths `writeRepo` would write into `dir` that exist already (refused without --force). */
export function existingFiles(dir: string, names: Iterable<string>): string[] {
    return [...names].map((n) => path.join(dir, n)).filter((f) => fs.existsSync(f));
}

/** Writes the repo's files into `dir` (created if missing). */
export function writeRepo(dir: string, files: Map<string, string>): void {
    for (const [name, text] of files) {
        const target = path.join(dir, name);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, text);
    }
}

/** What to run next in the repo, for stderr. */
export function nextSteps(dir: string, stack: string, packageSpec: string, version: string): string[] {
    return [
        `next, in ${dir}:`,
        `  npm install${packageSpec === version ? `          # until clientpolicy-as-code is on a registry: npm install --save-exact <its .tgz or git URL>` : ""}`,
        `  pulumi stack init ${stack}`,
        `  pulumi config set --secret ${CONFIG_NAMESPACE}:clientSecret`,
        "  pulumi preview --diff      # every object adopted, no setting or grant changed",
        "  pulumi up",
    ];
}

/**
 * Runs the programs in `examples/` (and test programs) with the real Pulumi CLI, shared by the demo and the
 * end-to-end tests.
 *
 * By default programs run as Automation API inline programs: the CLI (`pulumi up`, `preview`, `refresh`,
 * `destroy`) drives the engine and the dynamic-provider plugin as usual, but the program itself runs in this
 * process. With `folder: true` the program runs as a project folder instead: the CLI starts the language host
 * (`tools/pulumi-language-nodejs`), which runs it in its own `node` process, as `pulumi up` in a folder does.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as crypto from "node:crypto";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { CONFIG_KEYS, CONFIG_NAMESPACE } from "../provider/config";
import { runPulumi } from "./pulumiProcess";

/** Repository root (this file lives in testkit/). */
export const ROOT = path.resolve(__dirname, "..");

/** Connection settings of a tenant: the provider's {@link CONFIG_KEYS}, written to stack config. */
export interface TenantConnection {
    endpoint: string;
    tenantId: string;
    clientId: string;
    clientSecret: string;
}

/** Options for {@link openExampleStack}. */
export interface ExampleStackOptions {
    /** Folder under examples/, e.g. "quickstart"; or a program folder path relative to the repository root. */
    example: string;
    /** Stack name; default a unique `test-<hex>`. */
    stackName?: string;
    /** Tenant connection; omitted keys are simply not set (to test config errors). */
    connection?: Partial<TenantConnection>;
    /** Copy these stack settings files (`Pulumi.<stack>.yaml`) from the example folder. */
    copyStackFiles?: boolean;
    /**
     * Run the program as a project folder (the CLI starts the language host, which runs it in its own `node`
     * process) instead of as an Automation API inline program in this process. Default false (inline).
     */
    folder?: boolean;
}

/** A stack on a private file:// backend, with the paths needed to inspect it. */
export interface ExampleStack {
    stack: Stack;
    /** The program's project name (from its Pulumi.yaml). */
    projectName: string;
    /** The file:// backend directory (holds the state files). */
    backendDir: string;
    /** The workspace directory (Pulumi.yaml and stack settings). */
    workDir: string;
    /** Removes the stack's backend and workspace directories. */
    dispose(): Promise<void>;
}

/** Passphrase for the throwaway file backends of tests and the demo. */
export const TEST_PASSPHRASE = "clientpolicy-as-code-local-passphrase";

/**
 * Loads an example program fresh on every run: the engine registers resources
 * while the module's top level executes, so a cached module would register nothing.
 */
function exampleProgram(exampleDir: string, workDir: string): () => Promise<Record<string, unknown>> {
    // A copy of the example's files (not its node_modules) inside the workspace folder, so that its imports resolve
    // from the repository's node_modules: the test process's own @pulumi/pulumi. The example folder may hold a
    // node_modules of its own (`npm install` in place, as the README says), whose second @pulumi/pulumi would not
    // see this process's engine connection.
    const programDir = path.join(workDir, "program");
    fs.cpSync(exampleDir, programDir, { recursive: true, filter: (src) => path.basename(src) !== "node_modules" });
    return async () => {
        for (const key of Object.keys(require.cache)) {
            if (key.startsWith(programDir + path.sep)) delete require.cache[key];
        }
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(path.join(programDir, "index.ts"));
        return { ...mod };
    };
}

/**
 * Creates a stack for one of the examples on a fresh file:// backend.
 *
 * The workspace folder lives under `.tools/work/` inside the repository, because
 * the dynamic-provider plugin starts in it and must resolve `@pulumi/pulumi`
 * and this package from the repository's node_modules.
 */
export async function openExampleStack(opts: ExampleStackOptions): Promise<ExampleStack> {
    const exampleDir = opts.example.includes("/") ? path.join(ROOT, opts.example) : path.join(ROOT, "examples", opts.example);
    if (!fs.existsSync(path.join(exampleDir, "index.ts"))) throw new Error(`no example program at ${exampleDir}/index.ts`);
    const id = crypto.randomBytes(4).toString("hex");
    const stackName = opts.stackName ?? `test-${id}`;
    const backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "clientpolicy-backend-"));
    const workRoot = path.join(ROOT, ".tools", "work");
    fs.mkdirSync(workRoot, { recursive: true });
    const workDir = fs.mkdtempSync(path.join(workRoot, `${path.basename(exampleDir)}-`));
    fs.copyFileSync(path.join(exampleDir, "Pulumi.yaml"), path.join(workDir, "Pulumi.yaml"));
    // The folder lives inside the repository, so the program resolves this package and @pulumi/pulumi from its node_modules.
    // Its own package.json names the program: without one, the run entry takes the nearest package.json up the tree
    // (the repository's, whose main is this package's provider) as the program.
    if (opts.folder) {
        fs.copyFileSync(path.join(exampleDir, "index.ts"), path.join(workDir, "index.ts"));
        fs.writeFileSync(path.join(workDir, "package.json"), JSON.stringify({ name: path.basename(workDir), private: true, main: "index.ts" }));
    }
    if (opts.copyStackFiles) {
        const file = `Pulumi.${stackName}.yaml`;
        if (fs.existsSync(path.join(exampleDir, file))) fs.copyFileSync(path.join(exampleDir, file), path.join(workDir, file));
    }
    const projectName = readProjectName(path.join(exampleDir, "Pulumi.yaml"));
    const env: Record<string, string> = {
        PULUMI_BACKEND_URL: `file://${backendDir}`,
        PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        PULUMI_HOME: process.env.PULUMI_HOME ?? path.join(ROOT, ".tools", "pulumi-home"),
    };
    // Stack config is the only source of the connection: blank the provider's environment fallbacks.
    for (const spec of CONFIG_KEYS) env[spec.env] = "";
    const stack = opts.folder
        ? await LocalWorkspace.createOrSelectStack({ stackName, workDir }, { envVars: env })
        : await LocalWorkspace.createOrSelectStack({ stackName, projectName, program: exampleProgram(exampleDir, workDir) }, { workDir, envVars: env });
    const config: Record<string, { value: string; secret: boolean }> = {};
    const secrets: Record<string, string> = {};
    for (const spec of CONFIG_KEYS) {
        const value = opts.connection?.[spec.key as keyof TenantConnection];
        if (value === undefined) continue;
        if (spec.secret) secrets[`${CONFIG_NAMESPACE}:${spec.key}`] = value;
        else config[`${CONFIG_NAMESPACE}:${spec.key}`] = { value, secret: false };
    }
    if (Object.keys(config).length > 0) await stack.setAllConfig(config);
    // Secrets never go on a command line (visible in `ps`, printed whole when the command fails): stdin instead.
    for (const [key, value] of Object.entries(secrets)) await setSecretConfigIn(workDir, env, stackName, key, value);
    return {
        stack, projectName, backendDir, workDir,
        async dispose() {
            fs.rmSync(backendDir, { recursive: true, force: true });
            fs.rmSync(workDir, { recursive: true, force: true });
        },
    };
}

function readProjectName(pulumiYaml: string): string {
    const m = /^name:\s*(\S+)/m.exec(fs.readFileSync(pulumiYaml, "utf8"));
    if (!m) throw new Error(`${pulumiYaml} has no "name:" line`);
    return m[1];
}

/** The state file of a stack on its file backend (project-scoped layout). */
export function stateFile(s: ExampleStack): string {
    return path.join(s.backendDir, ".pulumi", "stacks", s.projectName, `${s.stack.name}.json`);
}

/**
 * `pulumi config set --secret <key>` with the value on stdin, so that it never appears on a command line (the
 * Automation API's setConfig/setAllConfig pass values as arguments).
 */
async function setSecretConfigIn(workDir: string, env: Record<string, string>, stackName: string, key: string, value: string): Promise<void> {
    const r = await runPulumi(workDir, { ...process.env, ...env }, ["config", "set", "--secret", key, "--stack", stackName], { input: value });
    if (r.code !== 0) throw new Error(`pulumi config set --secret ${key} failed (${r.code}): ${r.stderr}`);
}

/** Sets a secret stack config value of `s` without putting it on any command line (see {@link setSecretConfigIn}). */
export async function setSecretConfig(s: ExampleStack, key: string, value: string): Promise<void> {
    const ws = s.stack.workspace as unknown as { envVars: Record<string, string> };
    await setSecretConfigIn(s.workDir, ws.envVars, s.stack.name, key, value);
}

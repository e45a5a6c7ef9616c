/**
 * A fleet fixture for the `clientpolicy report` tests and benchmark: one Pulumi project folder (under `.tools/work/`,
 * so the program resolves this package from the repository's node_modules) with one stack per tenant on a private
 * file:// backend, every stack configured with plain `pulumi config set` (the secret on stdin) and deployed with
 * `pulumi up`. Tenants live in an emulator seeded with as many tenants as the fleet needs.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { folderEnv, pulumiIn, tempDir, type PulumiRunner } from "./projectFolder";
import { ROOT } from "./stack";
import { namedUser, type SeedFile } from "../emulator/tenants";

/** The program every fleet stack runs: Global with offline IM off, Tag:OfflineIM granted to Tony Smith and Ann Beebe. */
export const FLEET_PROGRAM = `import * as cp from "clientpolicy-as-code";
const global = new cp.ClientPolicy("global", { identity: "Global", enableIMAutoArchiving: false });
const offline = new cp.ClientPolicy("offline-im", {
    identity: "Tag:OfflineIM", enableIMAutoArchiving: false, description: "No offline IM archiving",
});
new cp.PolicyGrant("offline-users", { policyName: offline.identity, users: ["Tony Smith", "Ann Beebe"] });
export const globalArchiving = global.enableIMAutoArchiving;
`;

/**
 * The config-repo program of examples/multi-tenant: baseline.yaml merged with tenants/<stack>.yaml, one
 * TenantPolicies component per stack. Used with {@link MULTI_TENANT_BASELINE} and per-stack tenant files.
 */
export const MULTI_TENANT_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as cp from "clientpolicy-as-code";
const { declaration } = cp.loadTenantDeclaration({ cwd: __dirname, baseline: "baseline.yaml", tenant: \`tenants/\${pulumi.getStack()}.yaml\` });
const tenant = new cp.TenantPolicies("tenant", { declaration });
export const policyIdentities = tenant.identities;
`;

/** The fleet standard of {@link MULTI_TENANT_PROGRAM}: Global and Tag:OfflineIM granted to Tony Smith. */
export const MULTI_TENANT_BASELINE = `policies:
  - identity: Global
    settings:
      enableIMAutoArchiving: false
  - identity: Tag:OfflineIM
    description: No offline IM archiving
    settings:
      enableIMAutoArchiving: false
grants:
  - policy: OfflineIM
    users:
      - Tony Smith
`;

/** Seed of `count` tenants `t01.example`… each with Tony Smith, Ann Beebe and `extraUsers` generated users. */
export function fleetSeed(count: number, clientSecret: string, extraUsers = 5): SeedFile {
    const tenants = [];
    for (let i = 1; i <= count; i++) {
        const id = fleetTenantId(i);
        tenants.push({
            id, apps: [{ clientId: "demo-client", clientSecret }], generatedUsers: extraUsers,
            users: ["Tony Smith", "Ann Beebe"].map((n) => namedUser(id, n)),
        });
    }
    return { tenants } as SeedFile;
}

/** Tenant id of fleet member `i` (1-based). */
export function fleetTenantId(i: number): string {
    return `t${String(i).padStart(2, "0")}.example`;
}

/** Connection of one stack: written to its stack config (`clientSecret` with --secret, from stdin). */
export interface FleetMember {
    stack: string;
    endpoint: string;
    tenantId: string;
    clientId: string;
    clientSecret: string;
    /** More `clientpolicy:<key>` values for this stack (e.g. `maxAttempts`). */
    extraConfig?: Record<string, string>;
}

/** A project folder with stacks on a private backend. */
export interface Fleet {
    workDir: string;
    backendDir: string;
    projectName: string;
    /** Environment for `pulumi` and `clientpolicy` in the folder (private backend, offline, tools on PATH). */
    env: NodeJS.ProcessEnv;
    pulumi: PulumiRunner;
    /** State file of a stack. */
    stateFile(stack: string): string;
    dispose(): void;
}

/**
 * Creates the folder (with `files`, paths relative to it) and stacks; `deploy` (default true) runs `pulumi up` on
 * each, `parallel` at a time.
 */
export async function createFleet(members: FleetMember[], opts: { program?: string; deploy?: boolean; parallel?: number; projectName?: string; files?: Record<string, string> } = {}): Promise<Fleet> {
    const id = crypto.randomBytes(4).toString("hex");
    const workRoot = path.join(ROOT, ".tools", "work");
    fs.mkdirSync(workRoot, { recursive: true });
    const workDir = fs.mkdtempSync(path.join(workRoot, "fleet-"));
    const backendDir = tempDir("clientpolicy-fleet-backend-");
    const projectName = opts.projectName ?? `fleet-${id}`;
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"),
        `name: ${projectName}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`);
    fs.writeFileSync(path.join(workDir, "index.ts"), opts.program ?? FLEET_PROGRAM);
    fs.writeFileSync(path.join(workDir, "package.json"), JSON.stringify({ name: projectName, private: true, main: "index.ts" }));
    for (const [file, text] of Object.entries(opts.files ?? {})) {
        fs.mkdirSync(path.dirname(path.join(workDir, file)), { recursive: true });
        fs.writeFileSync(path.join(workDir, file), text);
    }
    const env = folderEnv(backendDir);
    const pulumi = pulumiIn(workDir, env);
    const must = async (p: Promise<{ code: number; output: string }>, what: string) => {
        const r = await p;
        if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.output}`);
    };
    for (const m of members) {
        await must(pulumi("stack", "init", m.stack), `stack init ${m.stack}`);
        for (const key of ["endpoint", "tenantId", "clientId"] as const) {
            await must(pulumi("config", "set", `clientpolicy:${key}`, m[key], "--stack", m.stack), `config set ${key}`);
        }
        for (const [key, value] of Object.entries(m.extraConfig ?? {})) {
            await must(pulumi("config", "set", `clientpolicy:${key}`, value, "--stack", m.stack), `config set ${key}`);
        }
        await must(pulumi.withStdin(m.clientSecret, "config", "set", "--secret", "clientpolicy:clientSecret", "--stack", m.stack), "config set secret");
    }
    if (opts.deploy ?? true) {
        const queue = [...members];
        const worker = async () => {
            for (let m = queue.shift(); m; m = queue.shift()) await must(pulumi("up", "--yes", "--stack", m.stack), `up ${m.stack}`);
        };
        await Promise.all(Array.from({ length: opts.parallel ?? 2 }, worker));
    }
    return {
        workDir, backendDir, projectName, env, pulumi,
        stateFile: (stack) => path.join(backendDir, ".pulumi", "stacks", projectName, `${stack}.json`),
        dispose() {
            fs.rmSync(workDir, { recursive: true, force: true });
            fs.rmSync(backendDir, { recursive: true, force: true });
        },
    };
}

/** Sets a stack's secret config value (stdin, never argv), e.g. to give one tenant a wrong secret after deploying. */
export async function setSecret(fleet: Fleet, stack: string, key: string, value: string): Promise<void> {
    const r = await fleet.pulumi.withStdin(value, "config", "set", "--secret", key, "--stack", stack);
    if (r.code !== 0) throw new Error(`config set --secret ${key} failed: ${r.output}`);
}

/** Result of one `clientpolicy` run. */
export interface CliRun {
    code: number;
    stdout: string;
    stderr: string;
}

/**
 * Runs the `clientpolicy` command from this repository's sources (cli/main.ts through ts-node) in a child process
 * with `env` — the same code the package's `bin` runs once compiled — and never throws on a non-zero exit.
 */
export function clientpolicy(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<CliRun> {
    const { spawn } = require("node:child_process") as typeof import("node:child_process");
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "cli", "main.ts"), ...args], {
            cwd, env: { ...env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") }, stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d) => (stdout += d));
        child.stderr!.on("data", (d) => { stderr += d; if (process.env.E2E_VERBOSE) process.stderr.write(d); });
        child.on("error", reject);
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}

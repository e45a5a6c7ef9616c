/**
 * Runs a program the way users do: a project folder with its own node_modules,
 * this package installed into it with `npm install`, and plain `pulumi` commands
 * run in that folder (the CLI starts `pulumi-language-nodejs`, which runs the
 * program with @pulumi/pulumi's `cmd/run`). Shared by the end-to-end tests and
 * available to the demo.
 *
 * Everything works offline: the package is packed from a git snapshot of the
 * working tree (its `prepare` script builds dist/, as for a git install), and the
 * folder's other packages come from the npm cache the repository's own `npm ci`
 * filled, pinned by the repository's package-lock.json.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CONFIG_KEYS } from "../provider/config";
import { runPulumi, type PulumiResult } from "./pulumiProcess";
import { ROOT, TEST_PASSPHRASE } from "./stack";

export type { PulumiResult };

/** Packages a TypeScript program of this project needs besides this package (versions from package-lock.json). */
export const PROGRAM_DEPENDENCIES = ["@pulumi/pulumi", "yaml", "typescript", "ts-node", "@types/node"];

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
    const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed with ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`);
    }
    return r.stdout;
}

/** PATH with the project's Node 22 and the Pulumi CLI, language host and dynamic-provider shim first. */
export function toolPath(): string {
    return [path.join(ROOT, ".tools", "bin"), path.join(ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter);
}

/**
 * Commits the working tree's files (tracked and new, minus .gitignore'd ones) to a
 * fresh git repository, so the package is built from what is being tested rather
 * than from the last commit. Returns the repository folder; `git+file://<it>` is
 * the URL a user would install.
 */
export function snapshotRepository(into: string): string {
    const files = run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT).split("\0").filter(Boolean);
    const repo = path.join(into, "clientpolicy-as-code.git");
    for (const f of files) {
        const src = path.join(ROOT, f);
        if (!fs.existsSync(src)) continue; // deleted in the working tree
        fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
        fs.copyFileSync(src, path.join(repo, f));
    }
    const git = (...args: string[]) => run("git", ["-c", "user.name=snapshot", "-c", "user.email=snapshot@localhost", ...args], repo);
    git("init", "-q");
    git("add", "-A");
    git("commit", "-q", "-m", "snapshot of the working tree");
    return repo;
}

/**
 * Clones `repoUrl` and packs it the way npm prepares a git dependency: the
 * package's `prepare` script builds dist/ in the clone, then `npm pack` keeps what
 * `files` lists. The clone borrows the repository's node_modules for TypeScript
 * (npm would install the dev dependencies from the registry). Returns the tarball.
 */
export function packFromGit(repoUrl: string, into: string): string {
    const clone = path.join(into, "clone");
    run("git", ["clone", "-q", "--depth", "1", repoUrl, clone], into);
    if (fs.existsSync(path.join(clone, "dist"))) throw new Error("the clone already has dist/: it must come from prepare");
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"));
    const env = { ...process.env, PATH: toolPath() };
    const name = run("npm", ["pack", "--silent", "--pack-destination", into], clone, env).trim().split("\n").pop()!;
    return path.join(into, name);
}

/** The files in a package tarball. */
export function tarballFiles(tarball: string): string[] {
    return run("tar", ["-tzf", tarball], path.dirname(tarball)).split("\n").filter(Boolean);
}

/**
 * Copies examples/<name> (or a program folder named by its path from the repository root) into `into`, installs the
 * program's dependencies there offline at the versions pinned by this repository's package-lock.json, then installs
 * this package from `packageSpec` (a tarball path or a git URL) with plain `npm install`, as a user would. Returns the
 * project folder.
 */
export function installExample(name: string, packageSpec: string, into: string): string {
    const dir = path.join(into, path.basename(name));
    fs.cpSync(name.includes("/") ? path.join(ROOT, name) : path.join(ROOT, "examples", name), dir, { recursive: true });
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
    const deps: Record<string, string> = {};
    // The program's own packages plus this package's runtime dependencies, so that the offline `npm install` of the
    // package below finds every dependency already installed at the version the lock pins.
    const runtime = Object.keys((JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies);
    // The example's own dependencies too (examples/bulk-grant reads its CSV with csv-parse), each pinned by the
    // repository's lock (a dependency an example declares must be one the repository's lock holds).
    const ownFile = path.join(dir, "package.json");
    const own = fs.existsSync(ownFile) ? Object.keys((JSON.parse(fs.readFileSync(ownFile, "utf8")) as { dependencies?: Record<string, string> }).dependencies ?? {}) : [];
    for (const dep of new Set([...PROGRAM_DEPENDENCIES, ...runtime, ...own.filter((d) => d !== "clientpolicy-as-code")])) {
        const pinned = lock.packages[`node_modules/${dep}`] as { version?: string } | undefined;
        if (!pinned?.version) throw new Error(`${name}/package.json: dependency ${dep} is not in the repository's package-lock.json; add it to the repository's devDependencies`);
        deps[dep] = pinned.version;
    }
    const pkg = { name: `clientpolicy-example-${name}`, version: "1.0.0", private: true, dependencies: deps };
    // The repository's lock pins every package; npm ci prunes what this folder does not need.
    const packages: Record<string, unknown> = { "": { name: pkg.name, version: pkg.version, dependencies: deps } };
    for (const [key, entry] of Object.entries<Record<string, unknown>>(lock.packages)) {
        if (key === "") continue;
        const { dev, devOptional, ...rest } = entry;
        packages[key] = rest;
    }
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
    fs.writeFileSync(path.join(dir, "package-lock.json"),
        JSON.stringify({ name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages }, null, 2) + "\n");
    const env = { ...process.env, PATH: toolPath() };
    const quiet = ["--offline", "--no-audit", "--no-fund", "--loglevel=error"];
    run("npm", ["ci", ...quiet], dir, env);
    // Node.js itself comes from PATH (the package brings none).
    run("npm", ["install", ...quiet, "--omit=optional", packageSpec], dir, env);
    return dir;
}

/** Environment for `pulumi` in a project folder: a private file:// backend, offline, no tenant from the environment. */
export function folderEnv(backendDir: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: toolPath(),
        PULUMI_BACKEND_URL: `file://${backendDir}`,
        PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_HOME: process.env.PULUMI_HOME ?? path.join(ROOT, ".tools", "pulumi-home"),
        PULUMI_SKIP_CONFIRMATIONS: "true",
        NO_COLOR: "1",
    };
    // Stack config is the only source of the connection.
    for (const spec of CONFIG_KEYS) delete env[spec.env];
    return env;
}

/** A `pulumi` runner bound to a project folder; see {@link pulumiIn}. */
export interface PulumiRunner {
    (...args: string[]): Promise<PulumiResult>;
    /**
     * The same with `input` on the command's stdin: how a secret reaches `pulumi config set --secret <key>` without
     * ever being on a command line (visible in `ps`, and echoed whole when the command fails).
     */
    withStdin(input: string, ...args: string[]): Promise<PulumiResult>;
}

/**
 * A `pulumi` runner bound to a project folder: `await pulumi("up", "--yes")`.
 * Never throws on a non-zero exit; check `code`. Output is echoed as it arrives when `opts.echo` is set (the demo) or
 * E2E_VERBOSE is set in the environment (debugging a test).
 */
export function pulumiIn(dir: string, env: NodeJS.ProcessEnv, opts: { echo?: boolean } = {}): PulumiRunner {
    const echo = opts.echo || !!process.env.E2E_VERBOSE;
    return Object.assign((...args: string[]) => runPulumi(dir, env, args, { echo }), {
        withStdin: (input: string, ...args: string[]) => runPulumi(dir, env, args, { echo, input }),
    });
}

/** A temp folder for one test run; remove it with `fs.rmSync(dir, { recursive: true, force: true })`. */
export function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * The run folder of a fleet run's compiled program (cli/report/compiledRun.ts): the derived project settings, the
 * manifest the loader reads, and that the user's project is left as it was.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { spawnSync } from "node:child_process";
import { RUNS_FOLDER, cleanAbandonedRuns, prepareCompiledRun, programCwd, removeAbandonedRuns } from "../../cli/report/compiledRun";

describe("report: the compiled program's run folder", () => {
    let project: string;
    const settings = "name: fleet\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n    tsconfig: tsconfig.json\n    nodeargs: --max-old-space-size=512\nconfig:\n  clientpolicy:strict: true\n";

    beforeEach(() => {
        project = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "clientpolicy-compiled-run-")));
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), settings);
        fs.writeFileSync(path.join(project, "index.ts"), "export const x = 1;\n");
        fs.mkdirSync(path.join(project, "src"));
    });
    afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

    it("derives the settings (typescript off, main the loader, stack files the project's) and removes the folder it made", () => {
        const run = prepareCompiledRun(project, path.join(project, "index.ts"), new Map([[path.join(project, "index.ts"), "exports.x = 1;\n"]]));
        try {
            assert.equal(path.dirname(path.dirname(run.workDir)), project, "inside the project's .clientpolicy folder");
            const derived = parseYaml(fs.readFileSync(path.join(run.workDir, "Pulumi.yaml"), "utf8"));
            assert.deepEqual(derived, {
                name: "fleet",
                main: "program.js",
                runtime: { name: "nodejs", options: { typescript: false, nodeargs: "--max-old-space-size=512" } },
                config: { "clientpolicy:strict": true },
                stackConfigDir: path.join("..", ".."),
            });
            assert.equal(path.resolve(run.workDir, derived.stackConfigDir), project);
            const manifest = JSON.parse(fs.readFileSync(path.join(run.workDir, "program.json"), "utf8"));
            assert.equal(manifest.cwd, project);
            assert.equal(manifest.entry, path.join(project, "index.ts"));
            assert.equal(fs.readFileSync(manifest.files[path.join(project, "index.ts")], "utf8"), "exports.x = 1;\n");
            assert.match(fs.readFileSync(path.join(run.workDir, "program.js"), "utf8"), /program\.json/);
            assert.equal(fs.readFileSync(path.join(project, "Pulumi.yaml"), "utf8"), settings, "the user's Pulumi.yaml untouched");
        } finally {
            run.dispose();
        }
        assert.equal(fs.existsSync(path.join(project, RUNS_FOLDER)), false);
    });

    it("the program's working directory is Pulumi's: the project, main's folder, or main's own folder", () => {
        assert.equal(programCwd(project, undefined), project);
        assert.equal(programCwd(project, "src"), path.join(project, "src"));
        assert.equal(programCwd(project, "src/index.ts"), path.join(project, "src"));
    });

    it("a run removes the folders of killed runs (owner process gone) and keeps live runs' and unowned folders", () => {
        const runs = path.join(project, RUNS_FOLDER);
        const made = (name: string, pid?: number) => {
            const dir = path.join(runs, name);
            fs.mkdirSync(dir, { recursive: true });
            if (pid !== undefined) fs.writeFileSync(path.join(dir, "owner.pid"), `${pid}\n`);
            return dir;
        };
        // A pid that surely ended: a child process that has exited and been reaped.
        const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
        const killed = made("run-killed", gone);
        const live = made("run-live", process.pid);
        const unowned = made("run-starting");
        const run = prepareCompiledRun(project, path.join(project, "index.ts"), new Map([[path.join(project, "index.ts"), "exports.x = 1;\n"]]));
        try {
            assert.equal(fs.existsSync(killed), false, "the killed run's folder is removed");
            assert.equal(fs.existsSync(live), true, "a live run's folder stays");
            assert.equal(fs.existsSync(unowned), true, "a folder without an owner stays");
            assert.equal(fs.readFileSync(path.join(run.workDir, "owner.pid"), "utf8"), `${process.pid}\n`);
            assert.deepEqual(removeAbandonedRuns(runs), [], "nothing else to remove");
        } finally {
            run.dispose();
        }
        // Once the other runs' folders are gone, the next run leaves no empty .clientpolicy/ behind either.
        fs.rmSync(live, { recursive: true });
        fs.rmSync(unowned, { recursive: true });
        made("run-killed-again", gone);
        prepareCompiledRun(project, path.join(project, "index.ts"), new Map([[path.join(project, "index.ts"), "exports.x = 1;\n"]])).dispose();
        assert.equal(fs.existsSync(runs), false, "no empty .clientpolicy/ left");
    });

    it("every fleet run, whichever way it runs the program, removes what killed runs left and the empty .clientpolicy/", () => {
        const runs = path.join(project, RUNS_FOLDER);
        const gone = spawnSync(process.execPath, ["-e", ""]).pid!;
        const leftover = path.join(runs, "run-killed");
        fs.mkdirSync(leftover, { recursive: true });
        fs.writeFileSync(path.join(leftover, "owner.pid"), `${gone}\n`);
        assert.deepEqual(cleanAbandonedRuns(project), [leftover]);
        assert.equal(fs.existsSync(runs), false, "no empty .clientpolicy/ left");
        assert.deepEqual(cleanAbandonedRuns(project), [], "nothing to do in a clean project");
        fs.mkdirSync(path.join(runs, "run-live"), { recursive: true });
        fs.writeFileSync(path.join(runs, "run-live", "owner.pid"), `${process.pid}\n`);
        assert.deepEqual(cleanAbandonedRuns(project), []);
        assert.equal(fs.existsSync(path.join(runs, "run-live")), true, "a live run's folder stays");
    });
});

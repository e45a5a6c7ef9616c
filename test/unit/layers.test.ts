/**
 * The import graph's layers point one way. Product code (the folders below PRODUCT) imports only product code, never
 * tests, their kit, scripts or benchmarks. Tests, scripts and benchmarks share their helpers through testkit/; only
 * test/ imports test/. Product code and the test kit have no import cycle: in a cycle, load order decides which module sees the other
 * half-initialised, and neither file can be read, tested or moved without the other. Type-only imports count, since
 * they couple the files just the same.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "..", "..");
/** The product's folders: what the package is built from, plus the emulator. */
const PRODUCT = ["api", "provider", "server", "emulator", "gateway", "cli"];
/**
 * Which product part may import which other part (docs/development.md, "Map of the parts"): `api/` is the single
 * source of truth and imports nothing of ours; the servers' rules live once in `server/`, which knows no backend;
 * the provider never reaches a server; only the CLI's `gateway` command reaches the gateway.
 */
const PART_IMPORTS: Record<string, string[]> = {
    api: [],
    provider: ["api"],
    server: ["api"],
    emulator: ["api", "server"],
    gateway: ["api", "server"],
    cli: ["api", "provider", "gateway"],
};
/** The one CLI file allowed to import gateway/. */
const CLI_GATEWAY_COMMAND = "cli/commands/gateway.ts";

/** The folders that are not product code, each with the folders it may import besides product code. */
const TOOLING: Record<string, string[]> = {
    testkit: ["testkit"],
    test: ["testkit", "test"],
    scripts: ["testkit", "scripts"],
    bench: ["testkit", "bench"],
};

/**
 * Cycles in product code and the test kit that the graph still holds, each as its files sorted. The test fails when an entry is no
 * longer a cycle, so the list only shrinks.
 */
const REMAINING_CYCLES: string[][] = [];

function tsFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : tsFiles(p);
        return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [p] : [];
    });
}

/** The repository file a relative specifier names (`x.ts`, `x/index.ts`), or undefined for a package or another file type. */
function resolveSpecifier(from: string, spec: string): string | undefined {
    if (!spec.startsWith(".")) return undefined;
    const base = path.resolve(path.dirname(from), spec);
    for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) {
        if (fs.existsSync(candidate)) return candidate;
    }
    return undefined;
}

/** Every file's imports (static, re-exports, `import type`, `require()`, `import()`) of repository .ts files, by relative path. */
function importGraph(folders: string[]): Map<string, Set<string>> {
    const graph = new Map<string, Set<string>>();
    for (const file of folders.flatMap((f) => tsFiles(path.join(ROOT, f)))) {
        const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
        const targets = new Set<string>();
        for (const imported of info.importedFiles) {
            const target = resolveSpecifier(file, imported.fileName);
            if (target) targets.add(path.relative(ROOT, target).split(path.sep).join("/"));
        }
        graph.set(path.relative(ROOT, file).split(path.sep).join("/"), targets);
    }
    return graph;
}

const topFolder = (file: string) => file.split("/")[0];

/** The graph's cycles: its strongly connected components of more than one file, or a file importing itself. */
function cycles(graph: Map<string, Set<string>>): string[][] {
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const found: string[][] = [];
    const visit = (v: string) => {
        index.set(v, next);
        low.set(v, next);
        next++;
        stack.push(v);
        onStack.add(v);
        for (const w of graph.get(v) ?? []) {
            if (!graph.has(w)) continue;
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) {
                low.set(v, Math.min(low.get(v)!, index.get(w)!));
            }
        }
        if (low.get(v) === index.get(v)) {
            const component: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                onStack.delete(w);
                component.push(w);
            } while (w !== v);
            if (component.length > 1 || graph.get(v)!.has(v)) found.push(component.sort());
        }
    };
    for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
    return found.sort((a, b) => a.join().localeCompare(b.join()));
}

describe("layers: imports point one way", () => {
    const graph = importGraph([...PRODUCT, ...Object.keys(TOOLING)]);

    it("the scan sees the tree (a resolver that finds nothing would pass every rule)", () => {
        const product = [...graph.keys()].filter((f) => PRODUCT.includes(topFolder(f)));
        assert.ok(product.length > 100, `${product.length} product files`);
        assert.ok(graph.get("cli/main.ts")!.has("cli/errors.ts"), "cli/main.ts → cli/errors.ts");
    });

    it("product code imports only product code", () => {
        const arrows = [...graph].flatMap(([from, targets]) =>
            PRODUCT.includes(topFolder(from)) ? [...targets].filter((t) => !PRODUCT.includes(topFolder(t))).map((t) => `${from} → ${t}`) : []);
        assert.deepEqual(arrows, []);
    });

    it("each product part imports only the parts the map allows", () => {
        const arrows = [...graph].flatMap(([from, targets]) => {
            const part = topFolder(from);
            const allowed = PART_IMPORTS[part];
            if (!allowed) return [];
            return [...targets].filter((t) => {
                const to = topFolder(t);
                if (to === part || !PRODUCT.includes(to)) return false;
                if (to === "gateway" && part === "cli") return from !== CLI_GATEWAY_COMMAND;
                return !allowed.includes(to);
            }).map((t) => `${from} → ${t}`);
        });
        assert.deepEqual(arrows, []);
    });

    it("tests, scripts, benchmarks and the test kit share helpers through testkit/, never test/", () => {
        const arrows = [...graph].flatMap(([from, targets]) => {
            const allowed = TOOLING[topFolder(from)];
            if (!allowed) return [];
            return [...targets].filter((t) => !PRODUCT.includes(topFolder(t)) && !allowed.includes(topFolder(t))).map((t) => `${from} → ${t}`);
        });
        assert.deepEqual(arrows, []);
    });

    it("product code and the test kit have no import cycle", () => {
        const product = new Map([...graph].filter(([f]) => [...PRODUCT, "testkit"].includes(topFolder(f))));
        const found = cycles(product).map((c) => c.join(" ↔ ")).sort();
        assert.deepEqual(found, REMAINING_CYCLES.map((c) => [...c].sort().join(" ↔ ")).sort());
    });

    it("the cycle finder finds a cycle", () => {
        const g = new Map([["a", new Set(["b"])], ["b", new Set(["c"])], ["c", new Set(["a"])], ["d", new Set(["a"])]]);
        assert.deepEqual(cycles(g), [["a", "b", "c"]]);
    });
});

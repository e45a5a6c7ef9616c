/**
 * Turns on Node's on-disk compile cache (Node ≥ 22.1) for the `clientpolicy` process before anything else loads:
 * the Automation API loads all of @pulumi/pulumi, TypeScript included, which otherwise costs about 0.5 s of CPU per
 * start. The cache lives in Node's default place (the OS temp directory) unless `NODE_COMPILE_CACHE` names one;
 * `NODE_DISABLE_COMPILE_CACHE=1` turns it off. Imported first by cli/main.ts for this side effect only.
 *
 * V8's `--allow-natives-syntax` is set first: @pulumi/pulumi sets it at run time (`runtime/closure/v8.js`), and V8
 * rejects a code-cache entry written under another flag set, so with the flag set before anything compiles, every entry
 * this process writes is accepted by its next start whatever each command loads first (TypeScript for a fleet's type
 * check, or the SDK). The processes a fleet run starts cache in a folder of their own (cli/report/run.ts
 * `compileCacheEnv`).
 */
import * as nodeModule from "node:module";
import * as v8 from "node:v8";

// Enabled first: Node names the cache's folder after V8's cache tag, which the flag changes, and the processes a run
// starts (where NODE_COMPILE_CACHE enables the cache before anything runs) compute it without the flag.
(nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache?.();
v8.setFlagsFromString("--allow-natives-syntax");

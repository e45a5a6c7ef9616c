/**
 * Turns on Node's on-disk compile cache (Node ≥ 22.1) for the `clientpolicy` process before anything else loads:
 * the Automation API loads all of @pulumi/pulumi, TypeScript included, which otherwise costs about 0.5 s of CPU per
 * start. The cache lives in Node's default place (the OS temp directory) unless `NODE_COMPILE_CACHE` names one;
 * `NODE_DISABLE_COMPILE_CACHE=1` turns it off. Imported first by cli/main.ts for this side effect only.
 *
 * V8's `--allow-natives-syntax` is set first, as in every process a fleet run starts (cli/report/run.ts
 * `V8_FLAGS_PRELOAD`): @pulumi/pulumi sets it at run time, and V8 rejects code-cache entries written under another
 * flag set, so this process and the program and provider processes share the cache only when all compile with it.
 */
import * as nodeModule from "node:module";
import * as v8 from "node:v8";

v8.setFlagsFromString("--allow-natives-syntax");
(nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache?.();

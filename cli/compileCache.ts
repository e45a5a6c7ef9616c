/**
 * Turns on Node's on-disk compile cache (Node ≥ 22.1) for the `clientpolicy` process before anything else loads:
 * the Automation API loads all of @pulumi/pulumi, TypeScript included, which otherwise costs about 0.5 s of CPU per
 * start. The cache lives in Node's default place (the OS temp directory) unless `NODE_COMPILE_CACHE` names one;
 * `NODE_DISABLE_COMPILE_CACHE=1` turns it off. Imported first by cli/main.ts for this side effect only.
 */
import * as nodeModule from "node:module";

(nodeModule as { enableCompileCache?: (dir?: string) => unknown }).enableCompileCache?.();

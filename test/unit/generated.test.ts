/**
 * Every generated file (testkit/generated.ts lists them: the OpenAPI document, the gateway's PowerShell module and
 * JEA files, the settings and error tables of the docs, the report sample of the docs and the README) equals what its
 * generator says now. Nothing here writes: `npm run generate` does.
 */
import { strict as assert } from "node:assert";
import { ARTEFACTS, staleArtefacts } from "../../testkit/generated";

describe("generated files", () => {
    it("every committed generated file equals its generator's output (regenerate: npm run generate)", () => {
        assert.ok(ARTEFACTS.length >= 8, `${ARTEFACTS.length} generated files listed`);
        assert.deepEqual(staleArtefacts().map((s) => s.file), [], "stale generated files: run npm run generate");
    });
});

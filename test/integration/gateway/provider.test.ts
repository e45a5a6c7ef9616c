/**
 * The provider's integration suites (test/integration/provider/clientPolicy.test.ts and policyGrant.test.ts), run
 * unchanged against the Skype for Business Server gateway with the stand-in Management Shell behind it: the harness's
 * `startTestBackend` starts the gateway when CLIENTPOLICY_TEST_BACKEND=gateway. Run this file in its own mocha process
 * (as scripts/test.sh does): the suites register once per process.
 */
process.env.CLIENTPOLICY_TEST_BACKEND = "gateway";

describe("provider integration suites against the gateway", function () {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the suites register their describe blocks here
    require("../provider/clientPolicy.test");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("../provider/policyGrant.test");
});

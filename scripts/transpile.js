/**
 * The one way the project's TypeScript becomes JavaScript, for `pulumi up` and `npm run plan`
 * (scripts/register-ts.js) and for the tests (test/support/jest-transform.js): Sucrase strips the types and
 * turns imports into require() calls, keeping every line where it was and ES2022 syntax as written.
 */
"use strict";

/** The options the project's TypeScript is transpiled with. */
const SUCRASE_OPTIONS = Object.freeze({ transforms: ["typescript", "imports"], disableESTransforms: true });

let sucrase;

/** TypeScript source -> CommonJS with ES2022 syntax untouched. */
function transpile(code, filePath) {
    sucrase ??= require("sucrase");
    return sucrase.transform(code, { ...SUCRASE_OPTIONS, filePath }).code;
}

module.exports = { SUCRASE_OPTIONS, transpile };

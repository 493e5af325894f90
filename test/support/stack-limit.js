// Pulumi's runtime takes a stack trace for every promise it tracks (runtime/debuggable.js). Under Jest each of
// those traces went through Jest's source-map formatter frame by frame (up to the 100 frames Jest allows): a
// third of the unit suite's CPU time. The tests' TypeScript keeps its line numbers
// (test/support/jest-transform.js), so V8's frames are already right: they are printed as they are (a formatter
// of this realm, or Node would fall back to the one Jest installs in its own), at Node's default depth.
Error.prepareStackTrace = (error, frames) => `${error}${frames.map((frame) => `\n    at ${frame}`).join("")}`;
Error.stackTraceLimit = 10;

// Validate a .glb/.gltf with the Khronos glTF validator (offline, JS API validateBytes).
// Usage: node validate_gltf.js FILE  -> prints the JSON report; exit 1 when it has errors.
"use strict";
const fs = require("fs");
const path = require("path");
const validator = require("gltf-validator");

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate_gltf.js FILE.glb");
  process.exit(2);
}
const bytes = new Uint8Array(fs.readFileSync(file));
validator
  .validateBytes(bytes, {
    uri: path.basename(file),
    maxIssues: 100,
    externalResourceFunction: (uri) =>
      Promise.reject(new Error(`external resource ${uri} not allowed`)),
  })
  .then((report) => {
    console.log(JSON.stringify(report));
    process.exit(report.issues.numErrors > 0 ? 1 : 0);
  })
  .catch((err) => {
    console.error(String(err));
    process.exit(3);
  });

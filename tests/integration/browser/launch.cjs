// Debian's chromium through playwright-core, set up the same way for every browser test:
// headless, no network chatter of its own (the tests talk to 127.0.0.1 only).
const path = require("path");
const { chromium } = require(path.join(process.env.JS_MODULES, "playwright-core"));

module.exports.launch = () => chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

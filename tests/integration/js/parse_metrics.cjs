// Parses Prometheus text format (stdin) with an independent parser and prints the families as
// JSON; exits 1 when the text does not parse.
const path = require("path");
const parse = require(path.join(process.env.JS_MODULES, "parse-prometheus-text-format"));

let text = "";
process.stdin.on("data", d => (text += d));
process.stdin.on("end", () => {
  try {
    const families = parse(text);
    if (families.length === 0) throw new Error("no metric families");
    console.log(JSON.stringify(families));
  } catch (e) {
    console.error("unparseable metrics: " + e.message);
    process.exit(1);
  }
});

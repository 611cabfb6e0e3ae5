// Every card the fake received (the JSON of GET /_fake/activities, with history) parsed by
// Microsoft's Adaptive Cards library: no parse errors or warnings, no validation events, and
// Teams' rules: version at most 1.5, refresh.action an Action.Execute.
// usage: node card_judge.cjs ACTIVITIES.json -> "N cards judged" (exit 0) or the problems (exit 1)
const fs = require("fs");
const path = require("path");
// The package's Node entry point needs a browser; its bundle does not.
const AC = require(path.join(process.env.JS_MODULES, "adaptivecards/dist/adaptivecards.js"));
AC.AdaptiveCard.onProcessMarkdown = (text, result) => { result.outputHtml = text; result.didProcess = true; };

const problems = [];
let judged = 0;
const listed = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
for (const a of listed.activities || listed) {
  for (const version of a.history || [a]) {
    const activity = version.activity || version;
    for (const att of (activity && activity.attachments) || []) {
      if (att.contentType !== "application/vnd.microsoft.card.adaptive") continue;
      const card = att.content;
      const where = a.id + "@" + (version.receivedMs || "");
      judged++;
      const ctx = new AC.SerializationContext();
      const parsed = new AC.AdaptiveCard();
      parsed.parse(card, ctx);
      for (let i = 0; i < ctx.eventCount; i++) {
        const e = ctx.getEventAt(i);
        problems.push(where + ": parse " + (e.phase === undefined ? "" : e.phase) + " " + e.message);
      }
      const results = parsed.validateProperties();
      for (let i = 0; i < (results.validationEvents || []).length; i++) {
        problems.push(where + ": validation " + results.validationEvents[i].message);
      }
      const v = String(card.version || "").split(".").map(Number);
      if (!(v[0] === 1 && v[1] <= 5)) problems.push(where + ": version " + card.version + " is past Teams' 1.5");
      if (card.refresh && (!card.refresh.action || card.refresh.action.type !== "Action.Execute")) {
        problems.push(where + ": refresh.action is not an Action.Execute");
      }
    }
  }
}
if (judged === 0) problems.push("no card to judge");
if (problems.length) {
  console.log(problems.join("\n"));
  process.exit(1);
}
console.log(judged + " cards judged");

// Microsoft's own Bot Framework token validation (botframework-connector, JwtTokenValidation
// with the channel validation a bot uses) judging tokens the fake signs, forgeries included.
// usage: node bot_judge.cjs METADATA_URL APP_ID CASES.json -> one JSON line {name: verdict}
// CASES.json: [{"name", "authorization", "activity"}]
const fs = require("fs");
const path = require("path");
const { JwtTokenValidation, ChannelValidation, SimpleCredentialProvider } =
  require(path.join(process.env.JS_MODULES, "botframework-connector"));

const [metadataUrl, appId, casesFile] = process.argv.slice(2);
ChannelValidation.OpenIdMetadataEndpoint = metadataUrl;
const credentials = new SimpleCredentialProvider(appId, "");

(async () => {
  const verdicts = {};
  for (const c of JSON.parse(fs.readFileSync(casesFile, "utf8"))) {
    try {
      const identity = await JwtTokenValidation.authenticateRequest(c.activity, c.authorization, credentials, "");
      verdicts[c.name] = identity && identity.isAuthenticated ? "accepted" : "refused";
    } catch (e) {
      verdicts[c.name] = "refused: " + String(e.message || e).slice(0, 120);
    }
  }
  console.log(JSON.stringify(verdicts));
})().catch(e => { console.error(String(e.stack || e)); process.exit(2); });

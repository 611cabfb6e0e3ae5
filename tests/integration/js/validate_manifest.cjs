// Validates a Teams app manifest with Microsoft's own validator (@microsoft/app-manifest),
// against the schema shipped in that package for the manifest's version (no network).
// usage: node validate_manifest.cjs MANIFEST.json [APP_ID]   -> prints "valid" or the failures, exit 0/1
// With APP_ID, the manifest must also name that Azure AD app in webApplicationInfo.id: Graph lets
// an app install a Teams app proactively only then ("Send proactive installation messages").
const fs = require("fs");
const path = require("path");
const modules = process.env.JS_MODULES;
const { AppManifestUtils } = require(path.join(modules, "@microsoft/app-manifest"));

(async () => {
  const manifest = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const version = manifest.manifestVersion;
  const schemaPath = path.join(modules, "@microsoft/app-manifest/build/json-schemas/teams",
                               "v" + version, "MicrosoftTeams.schema.json");
  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
  const failures = await AppManifestUtils.validateAgainstSchema(manifest, schema);
  const appId = process.argv[3];
  if (appId && (!manifest.webApplicationInfo || manifest.webApplicationInfo.id !== appId)) {
    failures.push("webApplicationInfo.id is " + JSON.stringify(manifest.webApplicationInfo && manifest.webApplicationInfo.id) +
                  ", not the app id " + appId);
  }
  if (failures.length > 0) {
    console.log(JSON.stringify(failures, null, 2));
    process.exit(1);
  }
  console.log("valid v" + version);
})().catch(e => { console.error(String(e.stack || e)); process.exit(2); });

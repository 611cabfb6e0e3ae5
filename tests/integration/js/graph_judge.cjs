// Microsoft's own clients making the daemon's calls against the fake, and parsing its answers:
// @microsoft/microsoft-graph-client for Graph (catalog lookup, user by mail with OData quoting,
// installed apps with $expand/$filter, install, chat) and botframework-connector's
// ConnectorClient for the Bot Framework (post a card, update it).
// usage: node graph_judge.cjs BASE_URL GRAPH_TOKEN BOT_TOKEN TEAMS_APP_ID USER_MAIL  -> one JSON line
const path = require("path");
const { Client } = require(path.join(process.env.JS_MODULES, "@microsoft/microsoft-graph-client"));
const { ConnectorClient } = require(path.join(process.env.JS_MODULES, "botframework-connector"));

const [base, graphToken, botToken, teamsAppId, mail] = process.argv.slice(2);
const quote = s => "'" + s.replace(/'/g, "''") + "'";

(async () => {
  const out = {};
  const graph = Client.init({
    authProvider: done => done(null, graphToken),
    baseUrl: base + "/",
    defaultVersion: "v1.0",
    customHosts: new Set([new URL(base).hostname]),
  });
  const apps = await graph.api("/appCatalogs/teamsApps").filter("externalId eq " + quote(teamsAppId)).get();
  out.catalogApps = apps.value.length;
  const catalogId = apps.value[0].id;
  const users = await graph.api("/users").filter("mail eq " + quote(mail)).get();
  out.usersFound = users.value.length;
  const userId = users.value[0].id;
  // A quote inside the literal is doubled, as OData wants: no match, and no error.
  out.quotedLookup = (await graph.api("/users").filter("mail eq " + quote("o'brien@" + mail.split("@")[1])).get()).value.length;
  const installed = () => graph.api("/users/" + userId + "/teamwork/installedApps")
    .expand("teamsApp").filter("teamsApp/id eq " + quote(catalogId)).get();
  out.installedBefore = (await installed()).value.length;
  await graph.api("/users/" + userId + "/teamwork/installedApps")
    .post({ "teamsApp@odata.bind": "https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/" + catalogId });
  const after = await installed();
  out.installedAfter = after.value.length;
  out.expandedExternalId = after.value[0].teamsApp.externalId;
  const chat = await graph.api("/users/" + userId + "/teamwork/installedApps/" + after.value[0].id + "/chat").get();
  out.chatId = chat.id;
  try {
    await graph.api("/users/00000000-0000-0000-0000-000000000000").get();
  } catch (e) {
    out.missingUser = { statusCode: e.statusCode, code: e.code };
  }

  // The connector client signs requests with whatever credentials it is given.
  const credentials = { signRequest: async req => { req.headers.set("Authorization", "Bearer " + botToken); return req; } };
  const connector = new ConnectorClient(credentials, { baseUri: base + "/emea/" });
  const card = { type: "AdaptiveCard", version: "1.5", body: [{ type: "TextBlock", text: "judged", wrap: true }] };
  const activity = { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: card }] };
  const sent = await connector.conversations.sendToConversation(chat.id, activity);
  out.posted = !!sent.id;
  card.body[0].text = "judged again";
  const updated = await connector.conversations.updateActivity(chat.id, sent.id, { ...activity, id: sent.id });
  out.updated = !!updated.id;
  console.log(JSON.stringify(out));
})().catch(e => { console.error(String(e.stack || e)); process.exit(2); });

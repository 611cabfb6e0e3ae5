// Microsoft's own token client (@azure/msal-node) against the fake's token endpoint: client
// credentials for the Graph and Bot Framework scopes, and a wrong secret.
// usage: node msal_judge.cjs BASE_URL TENANT APP_ID SECRET   (BASE_URL https://127.0.0.1:PORT;
// NODE_EXTRA_CA_CERTS names the fake's CA) -> one JSON line
const path = require("path");
const msal = require(path.join(process.env.JS_MODULES, "@azure/msal-node"));

const [base, tenant, appId, secret] = process.argv.slice(2);
const host = new URL(base).host;
const authority = base + "/" + tenant;
// Given, so that msal asks nothing of Microsoft's discovery endpoints.
const metadata = JSON.stringify({
  issuer: authority + "/v2.0",
  token_endpoint: authority + "/oauth2/v2.0/token",
  authorization_endpoint: authority + "/oauth2/v2.0/authorize",
  end_session_endpoint: authority + "/oauth2/v2.0/logout",
  jwks_uri: base + "/discovery/v2.0/keys",
});

async function token(clientSecret, scope) {
  const app = new msal.ConfidentialClientApplication({
    auth: { clientId: appId, clientSecret, authority, knownAuthorities: [host], authorityMetadata: metadata },
    system: { loggerOptions: { loggerCallback() {}, piiLoggingEnabled: false } },
  });
  try {
    const r = await app.acquireTokenByClientCredential({ scopes: [scope] });
    return { ok: true, tokenType: r.tokenType, hasToken: !!r.accessToken, expiresOn: !!r.expiresOn };
  } catch (e) {
    return { ok: false, errorCode: e.errorCode, errorNo: e.errorNo, status: e.status, message: String(e.errorMessage || e.message).slice(0, 300) };
  }
}

(async () => {
  const out = {
    graph: await token(secret, "https://graph.microsoft.com/.default"),
    bot: await token(secret, "https://api.botframework.com/.default"),
    wrongSecret: await token(secret + "-wrong", "https://graph.microsoft.com/.default"),
  };
  console.log(JSON.stringify(out));
})().catch(e => { console.error(String(e.stack || e)); process.exit(2); });

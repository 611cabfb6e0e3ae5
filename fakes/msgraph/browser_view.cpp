// The browser view: every conversation with its cards rendered by Microsoft's Adaptive Cards
// renderer, refreshed when anything changes. For people watching the demo.
#include "common/files.h"
#include "routes.h"

namespace tmsteams::fakegraph {

namespace {

const char* Page = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fake Microsoft Teams: conversations</title>
<style>
  body { font-family: "Segoe UI", system-ui, sans-serif; background: #f5f5f5; margin: 0; }
  header { background: #464775; color: white; padding: 10px 18px; font-size: 18px; }
  header small { opacity: .75; margin-left: 12px; font-size: 13px; }
  main { display: flex; flex-wrap: wrap; gap: 16px; padding: 16px; align-items: flex-start; }
  section.conversation { background: white; border-radius: 6px; width: 440px;
    box-shadow: 0 1px 3px rgba(0,0,0,.15); }
  section.conversation h2 { font-size: 15px; margin: 0; padding: 10px 14px;
    border-bottom: 1px solid #e1e1e1; }
  section.conversation h2 .kind { font-weight: normal; color: #616161; font-size: 12px; margin-left: 6px; }
  .message { margin: 10px 12px; border: 1px solid #e1e1e1; border-radius: 4px; }
  .meta { font-size: 11px; color: #616161; padding: 4px 8px; border-top: 1px solid #f0f0f0; }
  .empty { padding: 30px; color: #616161; }
  .raw { white-space: pre-wrap; font-size: 11px; padding: 8px; }
  .reply { font-size: 12px; padding: 6px 8px; background: #fff4ce; border-top: 1px solid #f0e0a0; }
</style>
<script src="/_fake/assets/adaptivecards.js"></script>
<script src="/_fake/assets/markdown-it.js"></script>
</head>
<body>
<header>Teams conversations of the fake <small id="status">loading…</small></header>
<main id="conversations"><div class="empty">No conversations yet.</div></main>
<script>
let shownVersion = -1;
const views = new Map();  // "activity@updatedMs" -> the viewer's own card (Universal Actions refresh)

// Teams sends card actions to the bot as the person who clicked; so does the fake.
async function invoke(viewer, verb, data, activity, conversation) {
  const r = await fetch("/_fake/invoke", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: viewer, verb: verb, requestId: (data && data.requestId) || "",
                           reason: (data && data.reason) || "", conversationId: conversation, replyToId: activity }) });
  const o = await r.json();
  if (!r.ok || o.status !== 200) return { error: o.error || ("the bot answered HTTP " + o.status) };
  try { return JSON.parse(o.body || "{}"); } catch (e) { return { error: "the bot's answer is not JSON" }; }
}

function renderCard(card, onExecute) {
  if (typeof AdaptiveCards === "undefined") {
    const pre = document.createElement("div");
    pre.className = "raw";
    pre.textContent = JSON.stringify(card, null, 2);
    return pre;
  }
  // Teams renders TextBlock markdown (bold, italic, lists, links); so does this view, with
  // markdown-it and no HTML, so that what the demo shows is what Teams shows.
  if (typeof markdownit !== "undefined" && !AdaptiveCards.AdaptiveCard.onProcessMarkdown) {
    const md = markdownit({ html: false, linkify: false, typographer: false });
    AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
      result.outputHtml = md.render(text);
      result.didProcess = true;
    };
  }
  const ac = new AdaptiveCards.AdaptiveCard();
  ac.hostConfig = new AdaptiveCards.HostConfig({ fontFamily: "Segoe UI, system-ui, sans-serif" });
  ac.onExecuteAction = action => {
    if (action instanceof AdaptiveCards.ExecuteAction && onExecute) onExecute(action.verb, action.data);
    else if (action.url) window.open(action.url, "_blank");
  };
  ac.parse(card);
  return ac.render();
}

// Shows `card` in `holder` as `viewer` sees it: with a refresh clause, the bot's card for them.
async function showCard(holder, card, viewer, a, c) {
  const act = async (verb, data) => {
    const reply = await invoke(viewer, verb, data, a.id, c.id);
    const old = holder.querySelector(".reply");
    if (old) old.remove();
    if (reply.type === "application/vnd.microsoft.card.adaptive") {
      holder.replaceChildren(renderCard(reply.value, act));
    } else {
      const note = document.createElement("div");
      note.className = "reply";
      note.textContent = reply.error || (typeof reply.value === "string" ? reply.value : "done");
      holder.appendChild(note);
    }
  };
  let shown = card;
  if (card.refresh && card.refresh.action && viewer) {
    const key = a.id + "@" + a.updatedMs;
    if (!views.has(key)) {
      views.set(key, invoke(viewer, card.refresh.action.verb, card.refresh.action.data, a.id, c.id));
    }
    const reply = await views.get(key);
    if (reply.type === "application/vnd.microsoft.card.adaptive") shown = reply.value;
  }
  holder.replaceChildren(renderCard(shown, act));
}

async function refresh() {
  const [convs, acts] = await Promise.all([
    fetch("/_fake/conversations").then(r => r.json()),
    fetch("/_fake/activities").then(r => r.json())]);
  const root = document.getElementById("conversations");
  root.textContent = "";
  if (convs.conversations.length === 0) {
    root.innerHTML = '<div class="empty">No conversations yet.</div>';
  }
  for (const c of convs.conversations) {
    const sec = document.createElement("section");
    sec.className = "conversation";
    sec.dataset.conversation = c.id;
    const h = document.createElement("h2");
    h.textContent = c.name || c.id;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = c.kind === "channel" ? "channel" : "chat";
    h.appendChild(kind);
    sec.appendChild(h);
    for (const a of acts.activities.filter(a => a.conversationId === c.id)) {
      const msg = document.createElement("div");
      msg.className = "message";
      msg.dataset.activity = a.id;
      if (a.card) {
        const holder = document.createElement("div");
        msg.appendChild(holder);
        // In a personal chat the viewer is its owner; channels show the shared card.
        await showCard(holder, a.card, c.kind === "channel" ? "" : c.ownerId, a, c);
      }
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = "posted " + new Date(a.receivedMs).toLocaleTimeString() +
        (a.updates ? " · updated " + a.updates + "× (last " + new Date(a.updatedMs).toLocaleTimeString() + ")" : "");
      msg.appendChild(meta);
      sec.appendChild(msg);
    }
    root.appendChild(sec);
  }
  shownVersion = acts.version;
  document.getElementById("status").textContent =
    acts.activities.length + " messages · version " + shownVersion;
  document.body.dataset.version = shownVersion;
}

async function poll() {
  try {
    const v = await fetch("/_fake/version").then(r => r.json());
    if (v.version !== shownVersion) await refresh();
  } catch (e) {
    document.getElementById("status").textContent = "fake not reachable";
  }
  setTimeout(poll, 700);
}
poll();
</script>
</body>
</html>
)HTML";

}  // namespace

void handleView(Exchange& ex, FakeState&, const std::string& assetsDir) {
    if (ex.method != "GET") {
        ex.json(405, R"({"error":"GET only"})");
        return;
    }
    if (ex.seg(0) == "_fake" && ex.seg(1) == "assets") {
        const std::string asset = ex.seg(2);
        if (asset != "adaptivecards.js" && asset != "markdown-it.js") {
            ex.json(404, R"({"error":"no such asset"})");
            return;
        }
        auto js = common::readFile(assetsDir + (asset == "adaptivecards.js" ? "/adaptivecards/dist/adaptivecards.min.js"
                                                                              : "/markdown-it/dist/markdown-it.min.js"));
        if (!js.ok()) {
            ex.status = 404;
            ex.contentType = "application/javascript";
            ex.responseBody = "console.warn('the view\'s JS is not installed: run tools/install-deps');";
            return;
        }
        ex.status = 200;
        ex.contentType = "application/javascript; charset=utf-8";
        ex.responseBody = *js;
        return;
    }
    ex.status = 200;
    ex.contentType = "text/html; charset=utf-8";
    ex.responseBody = Page;
}

}  // namespace tmsteams::fakegraph

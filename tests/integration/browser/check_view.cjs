// Drives Debian's chromium (Playwright) against the fake's browser view.
// usage: node check_view.cjs URL WORKDIR "TEXT|TEXT" "TEXT|TEXT" [ABSENT_IN_PHASE_2]
// Phase 1 waits for the first texts, takes WORKDIR/view-1.png and writes WORKDIR/phase1.done;
// then it waits for WORKDIR/phase2.go and, without reloading, for the second texts (the page
// must refresh itself), and takes WORKDIR/view-2.png.
const fs = require("fs");
const path = require("path");
const { launch } = require("./launch.cjs");

const [url, workdir, first, second, absent] = process.argv.slice(2);

async function waitForFile(file, ms) {
  const end = Date.now() + ms;
  while (!fs.existsSync(file)) {
    if (Date.now() > end) throw new Error("timed out waiting for " + file);
    await new Promise(r => setTimeout(r, 50));
  }
}

(async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    await page.goto(url);
    for (const t of first.split("|")) {
      await page.getByText(t).first().waitFor({ timeout: 15000 });
    }
    const rendered = await page.locator(".ac-adaptiveCard").count();
    if (rendered === 0) throw new Error("no card was rendered by the Adaptive Cards renderer");
    await page.screenshot({ path: path.join(workdir, "view-1.png"), fullPage: true });
    fs.writeFileSync(path.join(workdir, "phase1.done"), String(rendered));
    await waitForFile(path.join(workdir, "phase2.go"), 20000);
    for (const t of second.split("|")) {
      await page.getByText(t).first().waitFor({ timeout: 15000 });
    }
    if (absent) {
      await page.waitForFunction(t => !document.body.innerText.includes(t), absent, { timeout: 15000 });
    }
    await page.screenshot({ path: path.join(workdir, "view-2.png"), fullPage: true });
    console.log("ok " + rendered + " cards rendered");
  } finally {
    await browser.close();
  }
})().catch(e => { console.error(String(e.stack || e)); process.exit(1); });

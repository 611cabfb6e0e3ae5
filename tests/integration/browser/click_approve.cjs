// Clicks Approve on a card in the fake's browser view, as a reviewer would in Teams.
// usage: node click_approve.cjs URL WORKDIR REASON
// Waits for the Approve button (the reviewer's own card, fetched through the card's refresh),
// types REASON, clicks Approve, then waits until the page shows the card APPROVED and takes
// WORKDIR/approve-1.png (before) and WORKDIR/approve-2.png (after).
const path = require("path");
const { launch } = require("./launch.cjs");

const [url, workdir, reason] = process.argv.slice(2);

(async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    await page.goto(url);
    const approve = page.getByRole("button", { name: "Approve" }).first();
    await approve.waitFor({ timeout: 20000 });
    await page.getByPlaceholder("Reason (optional)").first().fill(reason);
    await page.screenshot({ path: path.join(workdir, "approve-1.png"), fullPage: true });
    await approve.click();
    await page.getByText("APPROVED").first().waitFor({ timeout: 20000 });
    await page.screenshot({ path: path.join(workdir, "approve-2.png"), fullPage: true });
    console.log("ok approved");
  } finally {
    await browser.close();
  }
})().catch(e => { console.error(String(e.stack || e)); process.exit(1); });

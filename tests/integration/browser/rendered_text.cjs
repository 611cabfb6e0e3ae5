// Prints, as JSON, what a reader sees of the first card in the fake's browser view, rendered by
// Microsoft's Adaptive Cards renderer with markdown as Teams renders it: the visible text (zero
// width characters removed, as no client draws them), every link target, and whether any
// emphasis, heading or code element was produced.
// usage: node rendered_text.cjs URL WAIT_FOR_TEXT
const { launch } = require("./launch.cjs");

const [url, waitFor] = process.argv.slice(2);

(async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    await page.goto(url);
    await page.getByText(waitFor).first().waitFor({ timeout: 15000 });
    const seen = await page.evaluate(() => {
      const card = document.querySelector(".ac-adaptiveCard");
      return {
        text: card.innerText.replace(/\u200B/g, ""),
        links: [...card.querySelectorAll("a")].map(a => a.getAttribute("href")),
        markup: card.querySelectorAll("strong, em, h1, h2, h3, code, img, blockquote, del, s").length,
      };
    });
    console.log(JSON.stringify(seen));
  } finally {
    await browser.close();
  }
})().catch(e => { console.error(String(e.stack || e)); process.exit(1); });

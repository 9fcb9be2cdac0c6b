// Opens Magpie's dashboard in Debian's headless Chromium, waits until it has
// refreshed `updates` times, then prints (as one JSON line) every value the
// page shows with its raw number, how many pixels each chart drew, the URLs
// the page requested and any page errors, and saves a full-page screenshot.
//
// usage: node drive.js <url> <screenshot.png> <updates>
"use strict";
const { chromium } = require("playwright-core");

async function main() {
  const [url, shot, updates] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const errors = [];
    const requests = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(url, { waitUntil: "load" });
    await page.waitForFunction((n) => Number(document.body.dataset.updates) >= n,
                               Number(updates), { timeout: 60000, polling: 100 });
    const shown = await page.evaluate(() => {
      const values = {};
      for (const el of document.querySelectorAll("[data-raw]")) {
        values[el.id] = { raw: el.dataset.raw, text: el.textContent };
      }
      const charts = {};
      for (const c of document.querySelectorAll("canvas")) {
        const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let drawn = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++;
        charts[c.id] = { drawn, width: c.width, height: c.height };
      }
      return { values, charts, updates: Number(document.body.dataset.updates),
               time_ms: Number(document.body.dataset.time),
               status: document.getElementById("status").textContent };
    });
    await page.screenshot({ path: shot, fullPage: true });
    console.log(JSON.stringify({ ...shown, errors, requests }));
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });

/**
 * The operator console and the sandbox chat in a real browser (headless Chromium): logging in,
 * the fleet, a purchase made in the sandbox chat showing up live in the console, the chart
 * drawn, a refund by button that reaches the sandbox once though clicked twice, a POST without
 * the CSRF token refused, keyboard use, and a 375 px wide phone screen. Screenshots of every
 * page go to `test-screenshots/` (git-ignored).
 */
import assert from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { ADMIN_TOKEN, ConsoleWorld } from "../support/console_world.ts";
import { browserTestsIgnored, launchChromium, SCREENSHOTS } from "../support/chromium.ts";
import { waitUntil } from "../support/wait.ts";

const WAIT_MS = 15_000;

// What the functions run in the page use of its globals. Declared here, for this module only:
// the DOM library would change the types of Deno's own streams for every file checked with it.
declare const document: {
  documentElement: { scrollWidth: number; clientWidth: number };
  activeElement: { matches(selector: string): boolean } | null;
};
interface Canvas {
  width: number;
  height: number;
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): ImageData };
}

async function shoot(page: Page, name: string): Promise<void> {
  await Deno.mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
}

/** Whether the page has a horizontal scroll bar (its content is wider than the screen). */
function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() =>
    document.documentElement.scrollWidth > document.documentElement.clientWidth + 1
  );
}

async function logIn(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/console`);
  await page.fill("#token", ADMIN_TOKEN);
  await page.press("#token", "Enter");
  await page.waitForURL(`${origin}/console`);
}

Deno.test({
  name: "console and sandbox chat in headless Chromium",
  ignore: browserTestsIgnored(),
  // Playwright keeps its connection's timers and pipes between steps.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using world = await ConsoleWorld.start();
    const browser = await launchChromium();
    let context: BrowserContext | undefined;
    try {
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      context.setDefaultTimeout(WAIT_MS);
      const panel = await context.newPage();
      const origin = world.origin;

      await t.step("login: no cookie without it, a wrong token refused", async () => {
        await panel.goto(`${origin}/console`);
        assert.equal(new URL(panel.url()).pathname, "/console/login");
        assert.deepEqual(await context!.cookies(), []);
        await shoot(panel, "login");
        await panel.fill("#token", "not-the-token");
        await panel.press("#token", "Enter");
        await panel.waitForSelector(".problem");
        assert.match(await panel.textContent(".problem") ?? "", /Wrong admin token/);
        assert.deepEqual(await context!.cookies(), [], "a refused login sets no cookie");
        await logIn(panel, origin);
        const [cookie] = await context!.cookies();
        assert.equal(cookie.name, "cs_session");
        assert.equal(cookie.httpOnly, true);
        assert.equal(cookie.sameSite, "Strict");
        assert(!cookie.value.includes(ADMIN_TOKEN));
      });

      await t.step("the fleet shows every tenant of the runtime", async () => {
        const tenants = await panel.$$eval(
          "#fleet tbody tr",
          (rows) => rows.map((row) => row.getAttribute("data-tenant")),
        );
        assert.deepEqual(tenants.sort(), ["quiz", "shop"]);
        await panel.waitForSelector("#live:has-text('live')");
      });

      const chat = await context.newPage();
      await t.step("a purchase in the sandbox chat appears live in the console", async () => {
        await chat.goto(
          `${world.sandbox.apiRoot}/_sandbox/chat?user=${world.buyer.id}&bot=shop_bot`,
        );
        await chat.waitForSelector("#stars:has-text('5000')");
        await chat.fill("#text", "/start buy_credits_100");
        await chat.press("#text", "Enter");
        await chat.click(".message.invoice button.pay");
        await chat.waitForSelector(".message.invoice .receipt");
        await chat.waitForSelector(".message.service:has-text('You paid 50')");
        await chat.waitForSelector("#stars:has-text('4950')");
        await shoot(chat, "sandbox-chat-paid");
        // The console page was not reloaded: the row changed over server-sent events.
        await panel.waitForSelector(
          "#fleet tr[data-tenant=shop] td[data-field=today]:text-is('50')",
        );
        assert.equal(await panel.textContent("#total-today"), "50");
      });

      await t.step("the revenue chart has drawn", async () => {
        await panel.waitForSelector("#revenue-chart[data-drawn=true] canvas");
        const painted = await panel.$eval("#revenue-chart canvas", (canvas) => {
          const c = canvas as unknown as Canvas;
          const pixels = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
          let count = 0;
          for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) count++;
          return count;
        });
        assert(painted > 100, `the chart's canvas is blank (${painted} pixels painted)`);
        await shoot(panel, "fleet");
        await Deno.mkdir(new URL("../../docs/", import.meta.url), { recursive: true });
      });

      await t.step("refund by button reaches the sandbox once, though clicked twice", async () => {
        await panel.click("#fleet a[href='/console/tenants/shop']");
        await panel.waitForURL(`${origin}/console/tenants/shop`);
        const row = panel.locator("#payments tbody tr").first();
        const chargeId = await row.getAttribute("data-charge");
        assert(chargeId);
        await row.locator("form.refund button[type=submit]").click();
        const confirm = row.locator("button.confirm-step.danger");
        await confirm.waitFor();
        assert.match(await confirm.textContent() ?? "", /Confirm refund of 50/);
        await shoot(panel, "tenant-refund-confirm");
        await confirm.dblclick();
        await panel.waitForSelector("#refund-outcome:has-text('Refunded 50')");
        // The sandbox chat shows the refund: it reads the conversation every second.
        await waitUntil(
          "the refund shows in the chat",
          async () => (await chat.locator(".message.refund").count()) === 1,
          WAIT_MS,
        );
        assert.equal(world.bots.shop.callsTo("refundStarPayment").length, 1);
        assert.equal(world.buyer.stars, 5000);
        await chat.waitForSelector("#stars:has-text('5000')");
        // The bot's own notice, sent by the tenant that applied the refund.
        await chat.waitForSelector(".message.bot:has-text('was refunded')");
        await shoot(chat, "sandbox-chat-refunded");
        await shoot(panel, "tenant");
      });

      await t.step("a POST without the CSRF token is refused", async () => {
        const status = await panel.evaluate(async () => {
          const response = await fetch("/console/tenants/shop/refunds", {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: "chargeId=anything",
          });
          return response.status;
        });
        assert.equal(status, 403);
      });

      await t.step("keyboard: sort, open a tenant, confirm and cancel a refund", async () => {
        await panel.goto(`${origin}/console`);
        const focusTo = async (selector: string) => {
          for (let i = 0; i < 60; i++) {
            await panel.keyboard.press("Tab");
            if (await panel.evaluate((s) => document.activeElement?.matches(s), selector)) return;
          }
          throw new Error(`Tab never reached ${selector}`);
        };
        await focusTo("th[data-field=month] button");
        await panel.keyboard.press("Enter");
        assert.equal(
          await panel.getAttribute("th[data-field=month]", "aria-sort"),
          "descending",
        );
        await focusTo("a[href='/console/tenants/quiz']");
        await panel.keyboard.press("Enter");
        await panel.waitForURL(`${origin}/console/tenants/quiz`);
        await world.buyCredits();
        await panel.goto(`${origin}/console/tenants/shop`);
        await focusTo("#payments form.refund button[type=submit]");
        await panel.keyboard.press("Enter");
        assert(
          await panel.evaluate(() => document.activeElement?.matches("button.confirm-step.danger")),
          "Enter on Refund moves the focus to its confirm button",
        );
        await panel.keyboard.press("Escape");
        assert.equal(await panel.locator("button.confirm-step").count(), 0);
        assert(
          await panel.evaluate(() => document.activeElement?.matches("form.refund button")),
          "Escape cancels and gives the focus back to Refund",
        );
        assert.equal(world.bots.shop.callsTo("refundStarPayment").length, 1, "nothing refunded");
        await panel.goto(`${origin}/console/search`);
        await panel.keyboard.press("Tab"); // the brand link, then through the navigation
        await focusTo("#q");
        await panel.keyboard.type(String(world.buyer.id));
        await panel.keyboard.press("Enter");
        await panel.waitForSelector("#results tbody tr");
        await shoot(panel, "search");
      });

      await t.step("a subscription bought in the chat lists its subscriber", async () => {
        await chat.fill("#text", "/start buy_monthly");
        await chat.press("#text", "Enter");
        const pay = chat.locator(".message.bot .buttons button.pay").last();
        await pay.click();
        await chat.waitForSelector(".message.service:has-text('(subscription)')");
        await panel.goto(`${origin}/console/tenants/shop`);
        const subscriber = panel.locator("section[aria-labelledby=subscribers-title] tbody tr");
        await subscriber.first().waitFor();
        assert.match(await subscriber.first().textContent() ?? "", /424242\s*monthly\s*active/);
      });

      await t.step("a 375 px wide screen is usable", async () => {
        const phone = await browser.newContext({
          viewport: { width: 375, height: 812 },
          storageState: await context!.storageState(),
          isMobile: true,
        });
        try {
          const page = await phone.newPage();
          for (
            const [path, name] of [["/console", "phone-fleet"], [
              "/console/tenants/shop",
              "phone-tenant",
            ]]
          ) {
            await page.goto(`${origin}${path}`);
            assert.equal(await overflowsSideways(page), false, `${path} is wider than the screen`);
            await shoot(page, name);
          }
          const copy = page.locator("#payments button.copy").first();
          await copy.scrollIntoViewIfNeeded();
          assert(await copy.isVisible());
          await page.goto(
            `${world.sandbox.apiRoot}/_sandbox/chat?user=${world.buyer.id}&bot=shop_bot`,
          );
          await page.waitForSelector(".message.invoice");
          assert.equal(await overflowsSideways(page), false, "the chat is wider than the screen");
          await shoot(page, "phone-sandbox-chat");
        } finally {
          await phone.close();
        }
      });

      await t.step("the fleet with a month of history (the README's screenshot)", async () => {
        // Payments of the past weeks, as a running fleet would have them.
        const day = 86_400_000;
        for (let ago = 1; ago <= 29; ago++) {
          for (const [tenant, base] of [["shop", 120], ["quiz", 60]] as const) {
            await world.db.run(
              `INSERT INTO payments (tenant_id, charge_id, user_id, product_id, amount, kind,
                 paid_at) VALUES (?, ?, ?, ?, ?, 'credits', ?)`,
              [
                tenant,
                `history_${tenant}_${ago}`,
                1000 + ago,
                "credits_100",
                base + (ago * 37) % 90,
                Date.now() - ago * day,
              ],
            );
          }
        }
        await panel.setViewportSize({ width: 1280, height: 760 });
        await panel.goto(`${origin}/console`);
        await panel.waitForSelector("#revenue-chart[data-drawn=true] canvas");
        await panel.waitForSelector("#live:has-text('live')");
        const month = await panel.textContent("#fleet tr[data-tenant=shop] td[data-field=month]");
        assert(Number(month) > 3000, `30 days of the shop: ${month}`);
        await panel.screenshot({ path: new URL("panel.png", SCREENSHOTS).pathname });
      });
    } finally {
      await context?.close();
      await browser.close();
    }
  },
});

// Debian's Chromium, driven by playwright-core, and a `Visitor`: one person's browser context
// (its own cookies) with the checks every page they see must pass: no script error or CSP
// violation in the console, no failed asset, and no serious or critical axe-core violation.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { BASE_URL, eventually } from "./server.mjs";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const ARTIFACTS = process.env.E2E_ARTIFACTS || new URL("../artifacts", import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

/** Impacts that fail a page. Minor and moderate findings are reported, not failed. */
const FAILING_IMPACTS = new Set(["serious", "critical"]);
// axe leaves ids that labels or ARIA point at and that occur twice to a person to judge. On
// these pages they are always a defect: a label names the first element with its id only, so
// the other form field has no name for a screen reader.
const ALWAYS_DEFECTS = new Set(["duplicate-id-aria"]);

// What axe-core found on every page checked, written to artifacts/accessibility.json when the
// browser closes: rules passed, findings that need a person to judge, and violations.
const pages = [];

/** Starts Chromium headless with a fresh profile (playwright gives each launch its own). */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.E2E_CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    writeFileSync(join(ARTIFACTS, "accessibility.json"), JSON.stringify(pages, null, 2));
    await within(30000, "closing Chromium", close);
  };
  return browser;
}

/** `run()`, or an error naming `what` once `ms` have passed (evaluations have no timeout). */
async function within(ms, what, run) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([run(), late]);
  } finally {
    clearTimeout(timer);
  }
}

let shots = 0;

export class Visitor {
  /** A new browser context for `name` (used in screenshot names and messages). */
  static async open(browser, name) {
    const context = await browser.newContext({
      baseURL: BASE_URL,
      viewport: { width: 1024, height: 800 },
      locale: "en-GB",
      timezoneId: "UTC",
    });
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    return new Visitor(name, context, page);
  }

  constructor(name, context, page) {
    this.name = name;
    this.context = context;
    this.page = page;
    this.navigations = [];
    this.problems = [];
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) {
        this.navigations.push({ url: frame.url(), checked: false });
      }
    });
    page.on("console", (msg) => {
      // A 4xx page (a form shown again with its errors) logs its own status; that is the
      // server answering as designed, and the page itself is still checked below.
      if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) {
        this.problems.push(`console error on ${page.url()}: ${msg.text()}`);
      }
    });
    page.on("pageerror", (err) => this.problems.push(`script error on ${page.url()}: ${err.message}`));
    page.on("requestfailed", (req) => {
      // Leaving a page cancels what it still had in flight (the chat's socket); not an error.
      if (req.failure()?.errorText !== "net::ERR_ABORTED") {
        this.problems.push(`${req.url()} failed: ${req.failure()?.errorText}`);
      }
    });
    page.on("response", (res) => {
      if (res.request().resourceType() !== "document" && res.status() >= 400) {
        this.problems.push(`${res.url()} answered ${res.status()} on ${page.url()}`);
      }
    });
  }

  /** The current path and query, without the origin. */
  path() {
    const url = new URL(this.page.url());
    return url.pathname + url.search;
  }

  /** Opens `path` (or a full URL) and checks the page; `shot` names a screenshot. */
  async goto(path, shot) {
    const res = await this.page.goto(path);
    await this.check(shot);
    return res;
  }

  /**
   * Clicks what `locator` finds (a submit button, a link) and waits for the page it leads to,
   * then checks that page. Post/Redirect/Get lands on one new document.
   */
  async follow(locator, shot) {
    const before = this.navigations.length;
    await locator.click();
    await eventually(`${this.name}'s next page after clicking ${locator}`, () =>
      this.navigations.length > before ? true : undefined,
    );
    await this.page.waitForLoadState("load");
    await this.check(shot);
  }

  /**
   * Runs the page checks on what is shown now and marks the current page as checked.
   * `report: false` keeps the result out of accessibility.json (the checks' own tests).
   */
  async check(shot, { report = true } = {}) {
    const { page } = this;
    if (shot) {
      shots += 1;
      const file = `${String(shots).padStart(2, "0")}-${shot}.png`;
      await page.screenshot({ path: join(ARTIFACTS, file), fullPage: true });
    }
    // Evaluated through the DevTools protocol, so the site's CSP (no inline script) applies to
    // the page's own scripts as in real use and not to the checker.
    const result = await within(30000, `axe-core on ${page.url()}`, async () => {
      if (!(await page.evaluate("typeof window.axe === 'object'"))) {
        await page.evaluate(AXE_SOURCE);
      }
      return page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    });
    const url = this.path();
    if (report) {
      pages.push({
        url,
        visitor: this.name,
        rules_passed: result.passes.length,
        needs_review: result.incomplete.map((r) => r.id),
        violations: result.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => n.target.join(" ")),
        })),
      });
    }
    const failing = [
      ...result.violations.filter((v) => FAILING_IMPACTS.has(v.impact)),
      ...result.incomplete.filter((r) => ALWAYS_DEFECTS.has(r.id)),
    ];
    const last = this.navigations[this.navigations.length - 1];
    if (last) {
      last.checked = true;
    }
    if (failing.length > 0) {
      const lines = failing.map(
        (v) =>
          `  ${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n` +
          v.nodes.map((n) => `    ${n.target.join(" ")}: ${n.failureSummary.replace(/\n/g, " ")}`).join("\n"),
      );
      throw new Error(`accessibility violations on ${url}:\n${lines.join("\n")}`);
    }
    this.assertClean();
  }

  /** Fails on any console error, script error or failed request seen so far. */
  assertClean() {
    if (this.problems.length > 0) {
      const problems = this.problems.splice(0);
      throw new Error(`${this.name}'s browser reported:\n  ${problems.join("\n  ")}`);
    }
  }

  /** Fails when a page was shown that the test never checked. */
  assertAllChecked() {
    const missed = this.navigations.filter((n) => !n.checked && n.url !== "about:blank");
    if (missed.length > 0) {
      throw new Error(`${this.name} saw pages that were not checked: ${missed.map((n) => n.url).join(", ")}`);
    }
  }

  async close() {
    this.assertAllChecked();
    this.assertClean();
    await this.context.close();
  }
}

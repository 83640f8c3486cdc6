// The server under test, as e2e/run started it: its address, and what it printed. With no SMTP
// server configured Clubroom prints every email on its standard output, so that is where the
// tests read setup links, invitations and sign-in links, as an admin would in a terminal.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the browser tests with e2e/run`);
  }
  return value;
}

export const BASE_URL = required("E2E_BASE_URL");
const OUTPUT = required("E2E_SERVER_OUT");

function output() {
  return readFileSync(OUTPUT, "utf8");
}

const EMAIL = /^----- email \(console: SMTP is not configured\) -----\nTo: (.*)\nSubject: (.*)\n\n([\s\S]*?)\n-{51}$/gm;

/** Every email printed so far, oldest first: `{ index, to, subject, text }`. */
export function emails() {
  return [...output().matchAll(EMAIL)].map((m, index) => ({
    index,
    to: m[1],
    subject: m[2],
    text: m[3],
  }));
}

/** Polls until `check()` gives a value other than undefined, or fails after `timeout` ms. */
export async function eventually(what, check, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(100);
  }
}

/**
 * The first email to `to` whose subject matches `subject`, printed after the first `since`
 * emails (take `emails().length` before the action that sends it).
 */
export function waitForEmail({ to, subject, since = 0 }) {
  return eventually(`an email to ${to} with the subject ${subject}`, () =>
    emails()
      .slice(since)
      .find((e) => e.to.includes(to) && subject.test(e.subject)),
  );
}

/** The first link in an email's text that points into this server under `path`. */
export function linkIn(email, path) {
  const prefix = BASE_URL + path;
  const link = email.text.split(/\s+/).find((word) => word.startsWith(prefix));
  if (!link) {
    throw new Error(`no ${prefix} link in the email "${email.subject}":\n${email.text}`);
  }
  return link;
}

/** The one-time setup link the server prints at its first start. */
export function setupLink() {
  return eventually("the setup link", () => {
    const m = output().match(/^\s+(http\S+\/setup\/\S+)$/m);
    return m ? m[1] : undefined;
  });
}

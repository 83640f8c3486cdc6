// A club's life in a real browser, against the real binary: setting the club up, a member
// joining through an invitation, their card shared with the world, a live chat, and a gift
// exchange from its creation to the draw. The tests run in order and build on each other, as
// the club does; each leaves a later one nothing to clean up.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { launch, Visitor } from "../lib/browser.mjs";
import { BASE_URL, emails, linkIn, setupLink, waitForEmail } from "../lib/server.mjs";

const ADMIN = { username: "ann", email: "ann@example.org", password: "river otter lantern 42" };
const MEMBER = {
  username: "bob",
  email: "bob@example.org",
  password: "maple kettle orbit 7",
  first: "Bob",
  last: "Baxter",
};
const CLUB = "Riverside Skating Club";

/** YYYY-MM-DD, `days` from today (UTC). */
function day(days) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

let browser;
const people = {};

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

// Each step builds on the ones before it: after a failure the rest are skipped, not failed
// again for the same cause.
let broken = "";
function step(name, fn) {
  test(name, async (t) => {
    if (broken) {
      t.skip(`an earlier step failed: ${broken}`);
      return;
    }
    try {
      await fn(t);
    } catch (err) {
      broken = name;
      throw err;
    }
  });
}

/** The part of the page under the heading `name` (a card section without a landmark). */
function section(page, name) {
  return page.locator("section").filter({ has: page.getByRole("heading", { name, exact: true }) });
}

/** A visitor that every later test may use; closed with the browser. */
async function person(key, name) {
  people[key] = await Visitor.open(browser, name);
  return people[key];
}

describe("a member joins the club and shares their card", { timeout: 180000 }, () => {
  step("the first run's setup link creates the club and its admin", async () => {
    const admin = await person("admin", "the admin");
    const { page } = admin;
    await admin.goto(await setupLink(), "setup");
    await page.getByLabel("Club name").fill(CLUB);
    await page.getByLabel("Your username").fill(ADMIN.username);
    await page.getByLabel("Your email address").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await admin.follow(page.getByRole("button", { name: "Create club" }), "admin-dashboard");
    assert.equal(admin.path(), "/admin");
    await page.getByRole("heading", { name: "Admin dashboard" }).waitFor();
    await page.getByText("Your club is ready").waitFor();
    assert.equal(await page.getByRole("link", { name: CLUB }).count(), 1);
  });

  step("the admin publishes an agreement and invites a member by email", async () => {
    const { admin } = people;
    const { page } = admin;
    await admin.goto("/admin/agreement");
    await page.getByLabel("Title").fill("Rink rules");
    await page.getByLabel("Text").fill("Skate with care.\nHelmets on the ice for everyone under 16.");
    await admin.follow(page.getByRole("button", { name: "Publish" }));
    await page.getByText("Version 1 published.").waitFor();

    await admin.goto("/admin/invites");
    await page.getByLabel("Name (optional)").fill(`${MEMBER.first} ${MEMBER.last}`);
    await page.getByLabel("Email (leave empty for a link to share)").fill(MEMBER.email);
    assert.ok(await page.getByRole("checkbox", { name: "member", exact: true }).isChecked());
    const sent = emails().length;
    await admin.follow(page.getByRole("button", { name: "Create invitation" }), "invitation-created");
    const shown = await page.getByRole("textbox", { name: "Invitation link" }).inputValue();
    assert.match(shown, new RegExp(`^${BASE_URL}/join/`));

    const email = await waitForEmail({ to: MEMBER.email, subject: /invited to join/, since: sent });
    assert.equal(linkIn(email, "/join/"), shown);
    people.inviteLink = shown;
  });

  step("the member registers through the link, fills in their profile and signs", async () => {
    const member = await person("member", "the member");
    const { page } = member;
    await member.goto(people.inviteLink, "join");
    await page.getByText(`Welcome, ${MEMBER.first} ${MEMBER.last}!`).waitFor();
    await page.getByLabel("Username").fill(MEMBER.username);
    await page.getByLabel("Email address").fill(MEMBER.email);
    // A password that is too short is refused with the field named, and nothing is created.
    await page.getByLabel("Password").fill("short");
    await member.follow(page.getByRole("button", { name: "Create my account" }), "join-error");
    assert.equal(await page.getByLabel("Password").getAttribute("aria-invalid"), "true");
    await page.getByLabel("Password").fill(MEMBER.password);
    await member.follow(page.getByRole("button", { name: "Create my account" }), "onboarding");
    assert.equal(member.path(), "/onboarding");

    await page.getByLabel("First name").fill(MEMBER.first);
    await page.getByLabel("Last name").fill(MEMBER.last);
    await page.getByLabel("City").fill("Lakeside");
    await page.getByLabel("State or region").fill("Ontario");
    await page.getByLabel("Time zone").fill("America/Toronto");
    await member.follow(page.getByRole("button", { name: "Save my profile" }), "agreement");
    await page.getByRole("heading", { name: "Rink rules" }).waitFor();

    await page.getByLabel("I have read and accept this agreement").check();
    await page.getByLabel("Your full name, as your signature").fill(`${MEMBER.first} ${MEMBER.last}`);
    await member.follow(page.getByRole("button", { name: "Sign the agreement" }), "waiting-for-review");
    await page.getByRole("heading", { name: "Almost there" }).waitFor();

    // Until an admin lets them in, the member area sends them back to the wizard.
    await member.goto("/activities");
    assert.equal(member.path(), "/onboarding");
  });

  step("the admin activates the member, who is emailed", async () => {
    const { admin } = people;
    const { page } = admin;
    await admin.goto("/admin/members?status=pending_review");
    await admin.follow(page.getByRole("link", { name: `${MEMBER.first} ${MEMBER.last}` }), "member-review");
    await page.getByText(`Version 1 signed as “${MEMBER.first} ${MEMBER.last}”`).waitFor();
    const sent = emails().length;
    await admin.follow(page.getByRole("button", { name: "Activate" }));
    await page.getByRole("heading", { name: `${MEMBER.first} ${MEMBER.last} active` }).waitFor();
    const email = await waitForEmail({ to: MEMBER.email, subject: /you are in/, since: sent });
    assert.equal(linkIn(email, "/home"), `${BASE_URL}/home`);
  });

  step("the member logs an activity and shares their card", async () => {
    const { member } = people;
    const { page } = member;
    await member.goto("/home", "member-home");
    await page.getByRole("heading", { name: `Hello, ${MEMBER.first}` }).waitFor();

    await member.goto("/activities");
    await member.follow(page.getByRole("link", { name: "Record an activity" }));
    await page.getByLabel("Started").fill(`${day(-2)}T18:30`);
    await page.getByLabel("Duration (minutes)").fill("45");
    await page.getByLabel("Type").selectOption({ label: "Practice" });
    await page.getByRole("radio", { name: "group" }).check();
    await page.getByLabel("Venue (optional)").fill("North rink");
    await member.follow(page.getByRole("button", { name: "Record activity" }), "activities");
    await page.getByRole("heading", { name: "1 activity, 45 minutes" }).waitFor();
    await page.getByRole("cell", { name: /North rink/ }).waitFor();

    await member.goto("/card");
    await member.follow(page.getByRole("button", { name: "Share my card" }), "card-shared");
    const link = await page.getByRole("textbox", { name: "Link to your card" }).inputValue();
    assert.match(link, new RegExp(`^${BASE_URL}/cards/[0-9a-f-]{36}$`));
    people.cardLink = link;
  });

  step("the shared card opens for a visitor who is not logged in", async () => {
    const visitor = await person("visitor", "a visitor");
    const { page } = visitor;
    const res = await visitor.goto(people.cardLink, "public-card");
    assert.equal(res.status(), 200);
    assert.equal(res.headers()["x-robots-tag"], "noindex");
    await page.getByRole("heading", { level: 1, name: `${MEMBER.first} ${MEMBER.last}` }).waitFor();
    await page.getByText("Lakeside, Ontario").waitFor();
    await page.getByText(CLUB).first().waitFor();
    const allTime = page.getByRole("region", { name: "All time" });
    await allTime.getByText("1 sessions", { exact: true }).waitFor();
    assert.equal(await page.getByText(MEMBER.email).count(), 0);
    assert.equal(await page.getByRole("link", { name: "Log out" }).count(), 0);

    // Logged out, the member area itself is closed to the same visitor.
    await visitor.goto("/card");
    const login = new URL(visitor.page.url());
    assert.equal(login.pathname, "/login");
    assert.equal(login.searchParams.get("next"), "/card");
  });
});

/**
 * Resolves with the first frame `page`'s WebSocket to `path` receives that contains `text`;
 * rejects after 15 seconds.
 */
function frameContaining(page, path, text) {
  return new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error(`no WebSocket frame with "${text}" in 15 s`)), 15000).unref();
    const watch = (ws) => {
      if (new URL(ws.url()).pathname === path) {
        ws.on("framereceived", ({ payload }) => {
          if (String(payload).includes(text)) {
            resolve(JSON.parse(payload));
          }
        });
      }
    };
    page.on("websocket", watch);
  });
}

describe("a chat between two browsers updates live", { timeout: 60000 }, () => {
  step("a message sent in one browser appears in the other without a reload", async () => {
    const { admin, member } = people;
    await member.goto("/conversations", "chat-list");
    await member.page.getByLabel("With").selectOption({ label: ADMIN.username });
    // Listen before the room opens its socket: a page reports only sockets opened later.
    const memberHears = frameContaining(member.page, "/api/v1/ws", "Yes, bring your skates!");
    await member.follow(member.page.getByRole("button", { name: "Open the chat" }));
    const room = member.path();
    assert.match(room, /^\/conversations\/\d+$/);

    const adminHears = frameContaining(admin.page, "/api/v1/ws", "See you at the rink at six?");
    await admin.goto("/conversations");
    await admin.follow(admin.page.getByRole("link", { name: `${MEMBER.first} ${MEMBER.last}` }));
    assert.equal(admin.path(), room);
    const adminPages = admin.navigations.length;
    const memberPages = member.navigations.length;

    await member.page.getByRole("textbox", { name: "Message" }).fill("See you at the rink at six?");
    await member.page.getByRole("button", { name: "Send" }).click();
    const heard = await adminHears;
    assert.equal(heard.type, "message");
    await admin.page.getByRole("listitem").filter({ hasText: "See you at the rink at six?" }).waitFor();
    await member.page.getByRole("listitem").filter({ hasText: "See you at the rink at six?" }).waitFor();
    await member.page.getByRole("textbox", { name: "Message" }).and(member.page.locator(":focus")).waitFor();

    await admin.page.getByRole("textbox", { name: "Message" }).fill("Yes, bring your skates!");
    await admin.page.getByRole("button", { name: "Send" }).click();
    assert.equal((await memberHears).type, "message");
    const reply = member.page.getByRole("listitem").filter({ hasText: "Yes, bring your skates!" });
    await reply.waitFor();
    assert.match(await reply.textContent(), new RegExp(ADMIN.username));

    // Both messages arrived over the socket: neither browser loaded another page.
    assert.equal(admin.navigations.length, adminPages);
    assert.equal(member.navigations.length, memberPages);
    await admin.check("chat-admin");
    await member.check("chat-member");

    // Stored, not only shown: a reload shows both, in order.
    await admin.goto(room);
    const texts = await admin.page.locator("#chat-log .chat-text").allTextContents();
    assert.deepEqual(texts, ["See you at the rink at six?", "Yes, bring your skates!"]);
  });
});

describe("a gift exchange from its creation to the draw", { timeout: 180000 }, () => {
  const GUESTS = [
    { name: "Cleo Park", email: "cleo@example.net", ideas: "Wool socks" },
    { name: "Dan Ruiz", email: "dan@example.net", ideas: "A good mystery novel" },
    { name: "Eve Stone", email: "eve@example.net", ideas: "" },
  ];
  const EXCHANGE = "Winter Secret Santa";
  let registration;

  step("an organizer creates the exchange and opens registration", async () => {
    const { admin } = people;
    const { page } = admin;
    await admin.goto("/admin/exchanges");
    const form = section(page, "New exchange");
    await form.getByLabel("Name").fill(EXCHANGE);
    await form.getByLabel("Description").fill("Presents under the tree at the club party.");
    await form.getByLabel("Budget (optional)").fill("about 20 euros");
    await form.getByLabel("Last day to register").fill(day(10));
    await form.getByLabel("Exchange day").fill(day(20));
    await form.getByLabel("Time zone").fill("Europe/Oslo");
    await admin.follow(form.getByRole("button", { name: "Create exchange" }), "exchange-draft");
    await page.getByRole("heading", { name: new RegExp(EXCHANGE) }).waitFor();
    await admin.follow(page.getByRole("button", { name: "Open registration" }));
    registration = await page.getByRole("textbox", { name: "Registration link" }).inputValue();
    assert.ok(registration.startsWith(`${BASE_URL}/exchange/`), registration);
  });

  step("people without an account register and reach their page from the emailed link", async () => {
    for (const guest of GUESTS) {
      const visitor = await person(guest.email, guest.name);
      const { page } = visitor;
      await visitor.goto(registration, guest === GUESTS[0] ? "exchange-register" : undefined);
      await page.getByLabel("Your name").fill(guest.name);
      await page.getByLabel("Your email address").fill(guest.email);
      await page.getByLabel("Gift ideas").fill(guest.ideas);
      await page.getByLabel("Email me reminders before the exchange day").check();
      const sent = emails().length;
      await visitor.follow(page.getByRole("button", { name: "Register" }));
      await page.getByText("You are registered.").waitFor();

      const email = await waitForEmail({ to: guest.email, subject: new RegExp(EXCHANGE), since: sent });
      await visitor.goto(linkIn(email, "/exchange/access"));
      await visitor.follow(page.getByRole("button", { name: "Continue" }), guest === GUESTS[0] ? "exchange-page" : undefined);
      assert.equal(visitor.path(), "/exchanges");
      await page.getByRole("heading", { name: new RegExp(EXCHANGE) }).waitFor();
      await page.getByText("The names are not drawn yet.").waitFor();
    }
  });

  step("a signed-in member joins with one click", async () => {
    const { member } = people;
    await member.goto(registration);
    await member.follow(member.page.getByRole("button", { name: "Join" }));
    assert.equal(member.path(), "/exchanges");
    const names = await member.page.locator(".gift-names li").allTextContents();
    assert.deepEqual(names.sort(), [...GUESTS.map((g) => g.name), `${MEMBER.first} ${MEMBER.last}`].sort());
  });

  step("the organizer closes registration, excludes a pair and draws the names", async () => {
    const { admin } = people;
    const { page } = admin;
    await admin.goto(admin.path());
    await admin.follow(page.getByRole("button", { name: "Close registration" }));
    const exclusions = page.getByRole("region", { name: "Exclusions" });
    await exclusions.getByLabel("This person").selectOption({ label: GUESTS[0].name });
    await exclusions.getByLabel("must not draw").selectOption({ label: GUESTS[1].name });
    await admin.follow(exclusions.getByRole("button", { name: "Add exclusion" }));
    await exclusions.getByText(`${GUESTS[0].name} and ${GUESTS[1].name}`).waitFor();

    const sent = emails().length;
    await admin.follow(page.getByRole("button", { name: "Draw the names" }), "exchange-matched");
    await page.getByRole("heading", { name: "Who gives to whom" }).waitFor();

    // Everyone is emailed their recipient; together the draw is one cycle through all four,
    // nobody draws themselves and the excluded pair never give to each other.
    const everyone = [...GUESTS, { name: `${MEMBER.first} ${MEMBER.last}`, email: MEMBER.email }];
    const gives = {};
    for (const p of everyone) {
      const email = await waitForEmail({ to: p.email, subject: /your gift recipient/, since: sent });
      gives[p.name] = email.text.match(/^You give a present to: (.+)$/m)[1];
    }
    let at = everyone[0].name;
    const seen = new Set();
    for (let i = 0; i < everyone.length; i += 1) {
      seen.add(at);
      assert.notEqual(gives[at], at);
      at = gives[at];
    }
    assert.equal(at, everyone[0].name, `not one cycle: ${JSON.stringify(gives)}`);
    assert.equal(seen.size, everyone.length);
    assert.notEqual(gives[GUESTS[0].name], GUESTS[1].name);
    assert.notEqual(gives[GUESTS[1].name], GUESTS[0].name);

    // The organizer's confidential table says the same.
    for (const [giver, receiver] of Object.entries(gives)) {
      await page.getByRole("row", { name: new RegExp(`^${giver} ${receiver}`) }).waitFor();
    }
    people.gives = gives;
  });

  step("each participant's page shows only their own recipient", async () => {
    for (const guest of GUESTS) {
      const visitor = people[guest.email];
      await visitor.goto("/exchanges", guest === GUESTS[0] ? "exchange-recipient" : undefined);
      const recipient = people.gives[guest.name];
      assert.equal(await visitor.page.locator(".gift-recipient").textContent(), recipient);
      const ideas = GUESTS.find((g) => g.name === recipient)?.ideas;
      if (ideas) {
        await visitor.page.getByText(ideas).waitFor();
      }
      assert.equal(await visitor.page.getByRole("table").count(), 0);
    }
  });
});

/** The same-origin paths the links in `nav` lead to, in order, without repeats. */
async function linksIn(nav) {
  const hrefs = await nav.getByRole("link").evaluateAll((links) => links.map((a) => a.href));
  return [...new Set(hrefs.filter((h) => h.startsWith(BASE_URL)).map((h) => new URL(h).pathname + new URL(h).search))];
}

describe("every page the navigation leads to passes the same checks", { timeout: 180000 }, () => {
  step("an admin's screens, on a desktop", async () => {
    const { admin } = people;
    await admin.goto("/admin");
    const paths = [
      ...(await linksIn(admin.page.getByRole("navigation", { name: "Main" }))),
      ...(await linksIn(admin.page.getByRole("navigation", { name: "Admin screens" }))),
      "/coach",
      "/admin/members/import",
      "/admin/exchanges/notifications",
    ];
    assert.ok(paths.includes("/admin/settings") && paths.includes("/directory"), paths.join(" "));
    for (const path of new Set(paths)) {
      const res = await admin.goto(path);
      assert.equal(res.status(), 200, path);
    }
  });

  step("a member's pages, on a phone", async () => {
    const { member } = people;
    await member.page.setViewportSize({ width: 390, height: 844 });
    await member.goto("/home", "phone-home");
    const paths = [...(await linksIn(member.page.getByRole("navigation", { name: "Main" }))), "/card", "/account"];
    assert.ok(!paths.includes("/admin"), "a member has no admin link");
    for (const path of new Set(paths)) {
      const res = await member.goto(path, path === "/activities" ? "phone-activities" : undefined);
      assert.equal(res.status(), 200, path);
    }
    await member.goto("/admin");
    await member.page.getByRole("heading", { level: 1 }).waitFor();
  });

  step("the pages of someone who is not signed in, and the error page", async () => {
    const { visitor } = people;
    await visitor.page.setViewportSize({ width: 390, height: 844 });
    for (const path of ["/", "/login", "/login/email", "/forgot", "/claim"]) {
      const res = await visitor.goto(path, path === "/login" ? "phone-login" : undefined);
      assert.equal(res.status(), 200, path);
    }
    const res = await visitor.goto("/no-such-page", "not-found");
    assert.equal(res.status(), 404);
  });
});

describe("a member signs in with a passkey", { timeout: 120000 }, () => {
  step("the member adds a passkey on their account page, on a phone", async () => {
    const { member } = people;
    const { page } = member;
    // Chromium's virtual authenticator stands in for the phone's own: it holds discoverable
    // credentials and verifies its user, as a fingerprint reader would.
    const cdp = await member.context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });
    await member.goto("/account", "passkeys-none");
    const passkeys = section(page, "Passkeys");
    await passkeys.getByText("You have no passkey yet.").waitFor();
    await passkeys.getByLabel("Name of the new passkey").fill("Phone");
    await member.follow(passkeys.getByRole("button", { name: "Add a passkey" }), "passkey-added");
    assert.equal(member.path(), "/account");
    await passkeys.getByRole("status").filter({ hasText: "Your passkey “Phone” has been added." }).waitFor();
    await passkeys.getByRole("cell", { name: /^Phone added \d{4}-\d{2}-\d{2}$/ }).waitFor();
    await passkeys.getByRole("link", { name: "Remove Phone" }).waitFor();
  });

  step("signed out, the member signs in with the passkey alone and goes where they were going", async () => {
    const { member } = people;
    const { page } = member;
    await member.follow(page.getByRole("button", { name: "Log out", exact: true }));
    await member.goto("/activities", "login-passkey");
    const login = new URL(page.url());
    assert.equal(login.pathname, "/login");
    assert.equal(login.searchParams.get("next"), "/activities");
    await member.follow(page.getByRole("button", { name: "Sign in with a passkey" }));
    assert.equal(member.path(), "/activities");
    await page.getByRole("link", { name: "Record an activity" }).waitFor();

    // The account page shows when the passkey was last used.
    await member.goto("/account");
    const used = await section(page, "Passkeys").getByRole("row", { name: /^Phone/ }).textContent();
    assert.doesNotMatch(used, /never/);
  });

  step("the member renames the passkey, and removing it asks first", async () => {
    const { member } = people;
    const { page } = member;
    const passkeys = section(page, "Passkeys");
    await member.follow(passkeys.getByRole("link", { name: "Rename Phone" }), "passkey-rename");
    await page.getByLabel("Name").fill("Pixel");
    await member.follow(page.getByRole("button", { name: "Rename" }));
    await page.getByText("The passkey has been renamed.").waitFor();
    await member.follow(passkeys.getByRole("link", { name: "Remove Pixel" }), "passkey-remove");
    await page.getByRole("heading", { name: "Remove the passkey “Pixel”?" }).waitFor();
    await member.follow(page.getByRole("link", { name: "Cancel" }));
    assert.equal(member.path(), "/account");
    await section(page, "Passkeys").getByRole("link", { name: "Remove Pixel" }).waitFor();
  });

  step("with a passkey, a password sign-in asks for it as the second step", async () => {
    const { member } = people;
    const { page } = member;
    await member.follow(page.getByRole("button", { name: "Log out", exact: true }));
    await member.goto("/login");
    await page.getByLabel("Username or email").fill(MEMBER.username);
    await page.getByLabel("Password").fill(MEMBER.password);
    await member.follow(page.getByRole("button", { name: "Log in" }), "second-step-passkey");
    await page.getByRole("heading", { name: "One more step" }).waitFor();
    // No emailed code: someone who reads the member's mail still needs the passkey.
    assert.equal(await page.getByLabel("Code from the email we just sent you").count(), 0);
    await member.follow(page.getByRole("button", { name: "Use a passkey" }));
    assert.equal(member.path(), "/home");
  });
});

describe("the checks themselves", () => {
  step("a page with a serious accessibility problem fails the check", async () => {
    const { visitor } = people;
    await visitor.goto("/login");
    await visitor.page.evaluate(() => {
      const img = document.createElement("img");
      img.src = "/assets/img/favicon.svg";
      document.querySelector("main").append(img);
    });
    await assert.rejects(visitor.check(undefined, { report: false }), /critical image-alt/);
  });

  step("two form fields sharing an id fail the check", async () => {
    const { visitor } = people;
    await visitor.goto("/login");
    await visitor.page.evaluate(() => {
      const field = document.querySelector("#f-login").closest(".field");
      field.after(field.cloneNode(true));
    });
    await assert.rejects(visitor.check(undefined, { report: false }), /duplicate-id-aria/);
  });

  step("an inline script is refused by the CSP and fails the check", async () => {
    const { visitor } = people;
    await visitor.goto("/login");
    await visitor.page.evaluate(() => {
      const script = document.createElement("script");
      script.textContent = "document.title = 'injected'";
      document.body.append(script);
    });
    await assert.rejects(visitor.check(undefined, { report: false }), /Content Security Policy/);
    assert.notEqual(await visitor.page.title(), "injected");
  });
});

describe("every browser closes clean", () => {
  step("no page went unchecked and no browser reported an error", async () => {
    for (const visitor of Object.values(people).filter((p) => p instanceof Visitor)) {
      await visitor.close();
    }
  });
});

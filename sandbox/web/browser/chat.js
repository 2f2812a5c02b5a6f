// The sandbox's web chat: reads the conversation every second and acts as the chosen user
// through the sandbox's HTTP user API (/_sandbox/users/<id>/send, click, pay).
(() => {
  "use strict";
  const $ = (selector) => document.querySelector(selector);
  const botSelect = $("#bot");
  const userSelect = $("#user");
  const chat = $("#chat");
  const problem = $("#problem");
  let lastDrawn = "";

  const el = (tag, attributes = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== undefined && value !== null) node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  };

  async function call(path, body) {
    const response = await fetch(
      path,
      body === undefined ? {} : {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      },
    );
    const answer = await response.json();
    if (answer.ok === false) throw new Error(answer.error);
    return answer;
  }
  const act = async (action, body) => {
    problem.textContent = "";
    try {
      const answer = await call(`/_sandbox/users/${userSelect.value}/${action}`, {
        bot: botSelect.value,
        ...body,
      });
      if (action === "pay" && answer.result?.status && answer.result.status !== "paid") {
        problem.textContent = `Payment: ${answer.result.status}` +
          (answer.result.error ? ` (${answer.result.error})` : "");
      }
      await refresh();
    } catch (error) {
      problem.textContent = error.message;
    }
  };

  async function loadWorld(selectUser) {
    const world = await call("/_sandbox/chat/world");
    const bot = botSelect.value;
    botSelect.replaceChildren(
      ...world.bots.map((b) => el("option", { value: b.username }, `@${b.username}`)),
    );
    if (bot) botSelect.value = bot;
    const user = selectUser ?? userSelect.value;
    userSelect.replaceChildren(
      ...world.users.map((u) =>
        el("option", { value: String(u.id) }, `${u.firstName} (${u.id}, ${u.languageCode ?? "—"})`)
      ),
    );
    if (user) userSelect.value = String(user);
    remember();
  }

  function remember() {
    localStorage.setItem(
      "sandbox-chat",
      JSON.stringify({ bot: botSelect.value, user: userSelect.value }),
    );
  }

  function draw(messages) {
    const key = JSON.stringify(messages);
    if (key === lastDrawn) return;
    lastDrawn = key;
    const atBottom = chat.scrollTop + chat.clientHeight >= chat.scrollHeight - 8;
    chat.replaceChildren(...messages.map((message) => {
      const bubble = el("div", {
        class: `message ${message.fromBot ? "bot" : "user"}`,
        "data-id": String(message.id),
      });
      if (message.paid) {
        bubble.classList.add("service");
        bubble.append(
          `You paid ${message.paid.stars} ⭐` +
            (message.paid.subscription ? " (subscription)" : ""),
        );
      }
      if (message.refunded) {
        bubble.classList.add("service", "refund");
        bubble.append(`${message.refunded.stars} ⭐ refunded to you`);
      }
      if (message.invoice) {
        const invoice = message.invoice;
        bubble.classList.add("invoice");
        bubble.append(
          el("strong", {}, invoice.title),
          el("p", {}, invoice.description),
        );
        if (invoice.status === "paid") {
          bubble.append(el("p", { class: "receipt" }, `Paid ${invoice.stars} ⭐`));
        } else {
          const pay = el("button", { type: "button", class: "pay" }, `Pay ⭐${invoice.stars}`);
          pay.addEventListener("click", () => act("pay", { invoice: message.id }));
          bubble.append(pay);
        }
      }
      if (message.text) bubble.append(el("p", { class: "text" }, message.text));
      for (const row of message.buttons) {
        const line = el("div", { class: "buttons" });
        for (const button of row) {
          if (button.callbackData !== undefined) {
            const press = el("button", { type: "button" }, button.text);
            press.addEventListener("click", () => act("click", { data: button.callbackData }));
            line.append(press);
          } else if (button.invoiceLink) {
            const pay = el("button", { type: "button", class: "pay" }, button.text);
            pay.addEventListener("click", () => act("pay", { invoice: button.invoiceLink }));
            line.append(pay);
          } else if (button.url) {
            line.append(
              el("a", { href: button.url, target: "_blank", rel: "noopener" }, button.text),
            );
          } else line.append(el("span", {}, button.text));
        }
        bubble.append(line);
      }
      bubble.append(el("time", {}, new Date(message.date * 1000).toLocaleTimeString()));
      return bubble;
    }));
    if (atBottom) chat.scrollTop = chat.scrollHeight;
  }

  async function refresh() {
    if (!userSelect.value || !botSelect.value) return;
    try {
      const answer = await call(
        `/_sandbox/chat/messages?user=${encodeURIComponent(userSelect.value)}&bot=${
          encodeURIComponent(botSelect.value)
        }`,
      );
      $("#stars").textContent = `${answer.stars} ⭐`;
      draw(answer.messages);
    } catch (error) {
      problem.textContent = error.message;
    }
  }

  $("#composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("#text");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    await act("send", { text });
    input.focus();
  });
  $("#user-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { firstName: form.get("firstName"), languageCode: form.get("languageCode") };
    if (form.get("id")) body.id = Number(form.get("id"));
    if (form.get("stars")) body.stars = Number(form.get("stars"));
    try {
      const answer = await call("/_sandbox/users", body);
      await loadWorld(answer.result.id);
      $("#new-user").open = false;
      lastDrawn = "";
      await refresh();
    } catch (error) {
      problem.textContent = error.message;
    }
  });
  for (const select of [botSelect, userSelect]) {
    select.addEventListener("change", () => {
      remember();
      lastDrawn = "";
      void refresh();
    });
  }

  const saved = JSON.parse(localStorage.getItem("sandbox-chat") ?? "{}");
  const params = new URLSearchParams(location.search);
  loadWorld(params.get("user") ?? saved.user).then(() => {
    const bot = params.get("bot") ?? saved.bot;
    if (bot) botSelect.value = bot.replace(/^@/, "");
    if (!userSelect.value) $("#new-user").open = true;
    void refresh();
    setInterval(() => void refresh(), 1000);
    setInterval(() => void loadWorld(), 5000);
  }, (error) => (problem.textContent = error.message));
})();

/**
 * A plugin's worker may read its own folder and nothing else: no environment (bot tokens), no
 * other file (tenant files, a `.env`, the database), no writing, no network, no subprocess. A
 * symbolic link cannot widen that: a folder holding one that leads out is refused. In the
 * runtime's process, as before the workers, every probe below would have succeeded.
 */
import { assertEquals, assertRejects } from "../../support/assert.ts";
import { FatalError } from "../../../actors/kernel/child.ts";
import { BOT_INFO, PluginFixture, textUpdate } from "./plugin_fixture.ts";
import {
  PluginPathError,
  pluginPermissions,
} from "../../../adapters/plugins/plugin_permissions.ts";

const SECRET_TOKEN = "123456789:AAH-a-token-of-another-tenant-xyz";

/** `/probe` tries each way out and replies with how each ended, as JSON. */
const PROBING_PLUGIN = `
import { sibling } from "./sibling.ts";

async function attempt(what) {
  try {
    const result = await what();
    return "allowed: " + String(result).slice(0, 60);
  } catch (error) {
    return "denied: " + error.name;
  }
}

export default (bot) => {
  bot.command("probe", async (ctx) => {
    const [configDir, dbPath, port] = ctx.match.split(" ");
    const outcomes = {
      envGet: await attempt(() => Deno.env.get("SHOP_TOKEN")),
      envAll: await attempt(() => JSON.stringify(Deno.env.toObject())),
      tenantFile: await attempt(() => Deno.readTextFile(configDir + "/tenants/shop.json")),
      dotEnv: await attempt(() => Deno.readTextFile(configDir + "/.env")),
      tenantFileAsModule: await attempt(() => import(configDir + "/tenants/shop.json", { with: { type: "json" } })),
      readDatabase: await attempt(() => Deno.readFile(dbPath)),
      writeDatabase: await attempt(() => Deno.writeTextFile(dbPath, "UPDATE ledger SET amount = 1000000")),
      writeOwnFolder: await attempt(() => Deno.writeTextFile(new URL("./note.txt", import.meta.url), "x")),
      network: await attempt(() => fetch("http://127.0.0.1:" + port + "/")),
      subprocess: await attempt(() => new Deno.Command("true").output()),
      system: await attempt(() => Deno.hostname()),
      ownFolder: await attempt(() => Deno.readTextFile(new URL("./data.txt", import.meta.url))),
      siblingModule: await attempt(() => sibling),
    };
    await ctx.reply(JSON.stringify(outcomes));
  });
};
`;

Deno.test("a plugin reads its own folder and nothing else: no environment, files, writes or network", async () => {
  await using fixture = await PluginFixture.create(PROBING_PLUGIN);
  const { configDir } = fixture;
  await Deno.writeTextFile(`${configDir}/plugins/sibling.ts`, `export const sibling = "mine";`);
  await Deno.writeTextFile(`${configDir}/plugins/data.txt`, "my own data");
  await Deno.mkdir(`${configDir}/tenants`);
  await Deno.writeTextFile(
    `${configDir}/tenants/shop.json`,
    JSON.stringify({ token: SECRET_TOKEN }),
  );
  await Deno.writeTextFile(`${configDir}/.env`, `SHOP_TOKEN=${SECRET_TOKEN}\n`);
  await Deno.mkdir(`${configDir}/data`);
  const dbPath = `${configDir}/data/constellation.db`;
  await Deno.writeTextFile(dbPath, `webhook secret ${SECRET_TOKEN}`);
  let requests = 0;
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    requests++;
    return new Response("token please");
  });
  Deno.env.set("SHOP_TOKEN", SECRET_TOKEN);
  try {
    await fixture.host.start(BOT_INFO);
    await fixture.run(textUpdate(`/probe ${configDir} ${dbPath} ${server.addr.port}`));
  } finally {
    Deno.env.delete("SHOP_TOKEN");
  }
  const reply = String(fixture.texts[0]);
  assertEquals(reply.includes(SECRET_TOKEN), false, reply);
  assertEquals(JSON.parse(reply), {
    envGet: "denied: NotCapable",
    envAll: "denied: NotCapable",
    tenantFile: "denied: NotCapable",
    dotEnv: "denied: NotCapable",
    tenantFileAsModule: "denied: TypeError",
    readDatabase: "denied: NotCapable",
    writeDatabase: "denied: NotCapable",
    writeOwnFolder: "denied: NotCapable",
    network: "denied: NotCapable",
    subprocess: "denied: NotCapable",
    system: "denied: NotCapable",
    ownFolder: "allowed: my own data",
    siblingModule: "allowed: mine",
  });
  assertEquals(requests, 0, "nothing reached the network");
  assertEquals(await Deno.readTextFile(dbPath), `webhook secret ${SECRET_TOKEN}`);
});

Deno.test("a plugin whose folder holds a symbolic link leading out of it is refused", async () => {
  await using fixture = await PluginFixture.create(`export default () => {};`);
  await Deno.mkdir(`${fixture.configDir}/plugins/assets`);
  await Deno.symlink(`${fixture.configDir}/.env`, `${fixture.configDir}/plugins/assets/env`);
  await assertRejects(
    () => fixture.host.start(BOT_INFO),
    FatalError,
    `holds a symbolic link, ${fixture.configDir}/plugins/assets/env, to ${fixture.configDir}/.env`,
  );
});

Deno.test("a link inside the plugin's folder to its own files is fine", async () => {
  await using fixture = await PluginFixture.create(
    `import { answer } from "./current/answer.ts"; export default (bot) => bot.command("a", (ctx) => ctx.reply(answer));`,
  );
  await Deno.mkdir(`${fixture.configDir}/plugins/v2`);
  await Deno.writeTextFile(
    `${fixture.configDir}/plugins/v2/answer.ts`,
    `export const answer = "42";`,
  );
  await Deno.symlink(`${fixture.configDir}/plugins/v2`, `${fixture.configDir}/plugins/current`);
  await fixture.host.start(BOT_INFO);
  await fixture.run(textUpdate("/a"));
  assertEquals(fixture.texts, ["42"]);
});

Deno.test("a plugin reached through a symbolic link since the config was loaded is refused", async () => {
  await using fixture = await PluginFixture.create(`export default () => {};`);
  const elsewhere = await Deno.makeTempDir({ prefix: "constellation-elsewhere-" });
  try {
    await Deno.writeTextFile(`${elsewhere}/evil.ts`, `export default () => {};`);
    await Deno.remove(fixture.path);
    await Deno.symlink(`${elsewhere}/evil.ts`, fixture.path);
    await assertRejects(
      () => fixture.host.start(BOT_INFO),
      FatalError,
      `plugin ${fixture.path} now leads through a symbolic link to ${elsewhere}/evil.ts`,
    );
  } finally {
    await Deno.remove(elsewhere, { recursive: true });
  }
});

Deno.test("checks of one path under way at once are shared; a later one checks afresh", async () => {
  const folder = await Deno.makeTempDir({ prefix: "constellation-permissions-" });
  try {
    const path = `${folder}/plugin.ts`;
    await Deno.writeTextFile(path, "export default () => {};");
    const together = [pluginPermissions(path), pluginPermissions(path)];
    assertEquals(together[0], together[1], "one check for both");
    const [first] = await Promise.all(together);
    assertEquals(first.read, [folder]);
    // A link leading out of the folder, added after that check settled, is found by the next.
    await Deno.symlink("/etc", `${folder}/escape`);
    await assertRejects(() => pluginPermissions(path), PluginPathError, "escape");
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

/**
 * getMe, logOut and close. logOut and close exist to move a bot between the cloud and a local
 * Bot API server; the sandbox is the only server here, so both succeed without changing state.
 * @module
 */

import type { UserFromGetMe } from "grammy/types";
import type { Handler } from "./handler.ts";

/** Handlers by method name. */
export const botInfoHandlers: Record<string, Handler> = {
  getMe: ({ bot }): UserFromGetMe => ({
    id: bot.identity.id,
    is_bot: true,
    first_name: bot.firstName,
    username: bot.identity.username,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  }),
  logOut: () => true,
  close: () => true,
};

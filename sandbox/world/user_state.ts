/**
 * A simulated Telegram user: profile and Stars wallet. The public handle is
 * {@linkcode import("../sandbox_user.ts").SandboxUser}; this is the state it and the payment
 * flows share.
 * @module
 */

import type { Chat, User } from "grammy/types";

/** What a test says about a user. */
export interface UserProfile {
  id: number;
  firstName: string;
  lastName?: string;
  username?: string;
  /** IETF language tag as Telegram reports it, e.g. "en" or "ru". */
  languageCode?: string;
  isPremium?: boolean;
}

/** See the module documentation. */
export class UserState {
  readonly profile: Readonly<UserProfile>;
  /** Wallet balance in Stars. */
  stars: number;

  constructor(profile: UserProfile, stars: number) {
    this.profile = profile;
    this.stars = stars;
  }

  get id(): number {
    return this.profile.id;
  }

  /** The User object Telegram sends in `from` fields. */
  toUser(): User {
    const { id, firstName, lastName, username, languageCode, isPremium } = this.profile;
    const user: User = { id, is_bot: false, first_name: firstName };
    if (lastName !== undefined) user.last_name = lastName;
    if (username !== undefined) user.username = username;
    if (languageCode !== undefined) user.language_code = languageCode;
    if (isPremium) user.is_premium = true;
    return user;
  }

  /** The Chat object of this user's private chat with a bot. */
  toChat(): Chat.PrivateChat {
    const { id, firstName, lastName, username } = this.profile;
    const chat: Chat.PrivateChat = { id, type: "private", first_name: firstName };
    if (lastName !== undefined) chat.last_name = lastName;
    if (username !== undefined) chat.username = username;
    return chat;
  }
}

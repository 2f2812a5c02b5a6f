/**
 * The products of the test shop, one constant each, as a tenant file lists them. Each test
 * world picks the ones it needs: the payment tests the whole range (switched-off products
 * included, to prove they are never sold), the end-to-end tests one of each kind.
 *
 * @example
 * ```ts ignore
 * const products = [CREDITS_100, WALLPAPERS, { ...MONTHLY, price: 99 }];
 * ```
 * @module
 */

/** A pack of 100 credits for 50 Stars. */
export const CREDITS_100 = {
  kind: "credits",
  id: "credits_100",
  title: "100 credits",
  description: "A pack of 100 credits.",
  price: 50,
  credits: 100,
} as const;

/** A pack of 500 credits for 200 Stars. */
export const CREDITS_500 = {
  kind: "credits",
  id: "credits_500",
  title: "500 credits",
  description: "A pack of 500 credits.",
  price: 200,
  credits: 500,
} as const;

/** The best value of all, switched off: a pack suggestion must never pick it. */
export const CREDITS_CHEAP_OFF = {
  kind: "credits",
  id: "credits_cheap_off",
  title: "Sale pack",
  description: "Switched off: must never be suggested.",
  price: 1,
  credits: 1000,
  enabled: false,
} as const;

/** An item for 25 Stars, delivered as a text. */
export const WALLPAPERS = {
  kind: "item",
  id: "wallpapers",
  title: "Wallpaper pack",
  description: "Twelve wallpapers.",
  price: 25,
  content: "Your wallpapers: https://example.com/w/1",
} as const;

/** A switched-off item. */
export const RETIRED = {
  kind: "item",
  id: "retired",
  title: "Old pack",
  description: "No longer sold.",
  price: 10,
  content: "old",
  enabled: false,
} as const;

/** A monthly subscription for 150 Stars that grants 300 credits each period. */
export const MONTHLY = {
  kind: "subscription",
  id: "monthly",
  title: "Monthly membership",
  description: "Members-only posts and 300 credits every month.",
  price: 150,
  credits: 300,
} as const;

/** A subscription for 30 Stars that grants access only, no credits. */
export const CLUB = {
  kind: "subscription",
  id: "club",
  title: "Club",
  description: "Access only, no credits.",
  price: 30,
} as const;

/** The end-to-end tests' shop: one product of each kind. */
export const SHOP_PRODUCTS = [CREDITS_100, WALLPAPERS, MONTHLY] as const;

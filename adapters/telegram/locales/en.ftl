# The English texts of every hosted bot. Message ids are the text keys of the code with "." read
# as "-" ("start.greeting" is start-greeting); a tenant overrides them by the dotted key.
# Numbers that count something are passed as numbers, so Fluent picks the plural form.

start-greeting = Hello, { $name }! I am { $bot }. Send /stars to see what you can buy with Telegram Stars.
start-unknown_product = There is no product “{ $product }” here. Send /stars to see what is on sale.
command-start = Start the bot
command-stars = Balance, shop and history
command-balance = Your credit balance
command-history = Your payments and credit history
command-subscriptions = Your subscriptions
command-paysupport = Help with a payment
command-terms = Terms of sale
command-refund = Refund a payment (admins)
menu-title = ⭐ Stars menu. Your balance: { $balance ->
        [one] { $balance } credit
       *[other] { $balance } credits
    }.
menu-balance = 💰 Balance
menu-products = 🛒 Buy
menu-history = 📜 History
menu-subscriptions = 🔁 Subscriptions
menu-buy_stars = ⭐ Buy Stars
menu-check = ✅ I bought Stars — check
menu-product_button = { $title } — { $price } ⭐
menu-products_title = What would you like to buy?
menu-no_products = Nothing is on sale right now.
balance-text = Your balance: { $balance ->
        [one] { $balance } credit
       *[other] { $balance } credits
    }.
history-title = History, page { $page } of { $pages }:
history-empty = No history yet.
history-entry-deposit = { $date }: +{ $amount ->
        [one] { $amount } credit
       *[other] { $amount } credits
    } ({ $reason }) → { $balance }
history-entry-charge = { $date }: −{ $amount ->
        [one] { $amount } credit
       *[other] { $amount } credits
    } ({ $reason }) → { $balance }
history-entry-refund = { $date }: −{ $amount ->
        [one] { $amount } credit
       *[other] { $amount } credits
    } ({ $reason }) → { $balance }
history-entry-adjustment = { $date }: { $sign }{ $amount ->
        [one] { $amount } credit
       *[other] { $amount } credits
    } ({ $reason }) → { $balance }
history-prev = ◀ Newer
history-next = Older ▶
check-pending = Your order “{ $title }” for { $price } ⭐ is still waiting for payment. Here it is again:
check-paid = Your last order “{ $title }” is paid. Balance: { $balance ->
        [one] { $balance } credit
       *[other] { $balance } credits
    }.
check-nothing = You have no open order. Send /stars to buy something.
invoice-subscription_link = Subscribe to “{ $title }” for { $price } ⭐ a month:
invoice-subscribe_button = Subscribe for { $price } ⭐
invoice-stars_disabled = Payments with Stars are turned off for this bot.
invoice-product_disabled = “{ $title }” is not on sale right now.
precheckout-unknown_order = This invoice is not valid. Please request a new one.
precheckout-expired = This invoice has expired. Please request a new one.
precheckout-wrong_currency = This invoice must be paid in Telegram Stars.
precheckout-wrong_amount = The amount does not match the order. Please request a new invoice.
precheckout-wrong_payer = This invoice was issued to someone else.
precheckout-product_disabled = This product is no longer on sale.
precheckout-already_paid = This order is already paid.
precheckout-error = The payment could not be checked. Please try again in a minute.
receipt-credits =
    ✅ Payment received: { $price } ⭐ for “{ $title }”. { $credits ->
        [one] { $credits } credit
       *[other] { $credits } credits
    } added; your balance is { $balance }.
    Receipt: { $chargeId }
receipt-item =
    ✅ Payment received: { $price } ⭐ for “{ $title }”.
    Receipt: { $chargeId }
receipt-subscription =
    ✅ Subscription “{ $title }” is active until { $until }.
    Receipt: { $chargeId }
receipt-renewal =
    🔁 Subscription “{ $title }” renewed until { $until }.
    Receipt: { $chargeId }
payment-double_refunded =
    This order was already paid, so your second payment of { $price } ⭐ is being refunded.
    Charge: { $chargeId }
payment-refunded =
    ↩️ Your payment of { $price } ⭐ for “{ $title }” was refunded.
    Charge: { $chargeId }
low_balance-notice = ⚠️ Your balance is down to { $balance ->
        [one] { $balance } credit
       *[other] { $balance } credits
    }. Top up to keep going:
admin-orphan = ⚠️ Unmatched Stars payment: { $price } ⭐ from user { $userId }, charge { $chargeId }. { $why } Nothing was granted. Refund it with /refund { $chargeId } or grant it by hand.
admin-orphan-unknown_order = Its invoice payload { $payload } names no order.
admin-orphan-foreign_payer = Its order { $orderId } belongs to user { $owner }.
admin-orphan-unknown_product = Its order's product { $productId } is no longer configured.
low_balance-top_up = Top up
subscriptions-title = Your subscriptions:
subscriptions-none = You have no subscriptions.
subscriptions-entry = • { $title }: { $state }, until { $until }
subscriptions-state-active = active, renews automatically
subscriptions-state-canceled = active, will not renew
subscriptions-state-expired = expired
subscriptions-state-refunded = refunded
subscriptions-state-failed = ended: the renewal payment failed
subscriptions-cancel = Stop renewing “{ $title }”
subscriptions-resume = Renew “{ $title }” again
subscriptions-canceled = “{ $title }” will not renew. It stays active until { $until }.
subscriptions-resumed = “{ $title }” will renew automatically again.
paysupport-text = 💬 Payment support: write your question in your next message, with your receipt number if you have it. It goes to the bot's admins with your recent receipts, and their answer comes here. Refunds are made in Telegram Stars.
terms-text = Purchases are paid in Telegram Stars and delivered in this chat right after payment. Credits are used only in this bot. Refunds are possible through /paysupport.
refund-usage = Usage: /refund <charge_id>
refund-not_admin = Only this bot's administrators can refund payments.
refund-unknown_charge = No payment with charge id { $chargeId } is known here.
refund-done = Refunded { $price } ⭐ to user { $userId } (charge { $chargeId }); { $credits ->
        [one] { $credits } credit
       *[other] { $credits } credits
    } reversed.
refund-already = Charge { $chargeId } was already refunded; nothing changed.
refund-failed = Telegram refused the refund of { $chargeId }: { $error }
refund-not_made = Telegram did not answer the refund of { $chargeId }, and its transactions show no such refund: nothing was refunded or reversed. Send /refund again to retry.
refund-unanswered = Telegram did not answer the refund of { $chargeId } ({ $error }), so whether it was made is not known yet. If it was, reconciliation reverses the credits; check with /reconcile, or send /refund again (a refund is never made twice).
callback-unknown = This button is no longer valid.
plugin-error = Something went wrong. The bot's operator has been told.
deduct-insufficient = Not enough credits: you need { $amount ->
        [one] { $amount } credit
       *[other] { $amount } credits
    }, you have { $balance }. Top up:
command-transactions = Telegram Stars transactions (admins)
command-revenue = The bot's Stars balance (admins)
command-reconcile = Check payments against Telegram (admins)
admin-only = Only this bot's administrators can use this command.
admin-not_configured = This command is not set up for this bot.
admin-unmatched_refund = ⚠️ Telegram refunded { $price } ⭐ to user { $userId } (charge { $chargeId }), but no payment with this charge is recorded here, so nothing was taken back. Please check it by hand.
admin-dead_update = ⚠️ Update { $updateId } ({ $kind }) was set aside: { $error }. The bot goes on with the next updates; an operator can retry or discard it (/status lists it).
admin-dead_update-payment = It carries a payment: reconciliation (/reconcile) credits it from Telegram's transactions.
transactions-title = Stars transactions, newest first — page { $page } of { $pages }:
transactions-empty = The bot has no Stars transactions yet.
transactions-usage = Usage: /transactions [page], where page 1 is the newest.
transactions-no_page = There is no page { $page }: the list has { $pages ->
    [one] one page
   *[other] { $pages } pages
    }.
transactions-entry = { $date }: { $amount } ⭐ { $who } — { $id }
transactions-user = { $name } ({ $userId })
transactions-prev = ◀ Newer
transactions-next = Older ▶
transactions-failed = Telegram's list of transactions could not be read: { $error }
revenue-text =
    ⭐ The bot's balance: { $amount } Stars.
    Source: { $source }, read { $age } ago.
revenue-stale = ⚠️ Stale: Telegram could not be asked just now; this is the last known value.
revenue-source-mtproto_self = Telegram, asked as the bot
revenue-source-mtproto_user = Telegram, asked as a user account
revenue-source-bot_api = Telegram's Bot API
revenue-source-last_known = the last value Telegram gave
revenue-failed = The bot's Stars balance is not available: { $error }
reconcile-done = Reconciliation done: { $scanned } transactions checked; { $recovered } lost payments applied, { $refundsApplied } refunds applied, { $unmatched } unmatched, { $alreadyKnown } already known.
reconcile-failed = Reconciliation failed: { $error }
age-seconds = { $n } s
age-minutes = { $n } min
age-hours = { $n } h
age-days = { $n } d
support-sent = ✉️ Sent to support. The answer will come here.
support-recorded = ✉️ Your message is recorded; the bot's operator will read it.
support-rate_limited = You have written to support several times in a short while. Please wait { $minutes } min before writing again.
support-to_admin =
    🆘 Support request from { $name } (id { $userId }):
    { $text }
    
    Recent receipts:
    { $receipts }
    
    Reply to this message to answer.
support-receipt = • { $date }: “{ $title }”, { $amount } ⭐, charge { $chargeId }
support-receipt-refunded = • { $date }: “{ $title }”, { $amount } ⭐, charge { $chargeId } (refunded)
support-no_receipts = (no payments recorded)
support-answer =
    💬 Support answers:
    { $text }
support-answered = ✅ Sent to the buyer.
help-text = I did not understand that. Send /stars for the shop and your balance, /purchases for what you bought, or /paysupport to write to us about a payment.
help-unknown_command = There is no command { $command } here. Send /stars for the shop and your balance, or /paysupport to write to us about a payment.
command-purchases = What you bought
command-subscribers = Subscribers (admins)
command-user = A user's payments (admins)
purchases-title = Your purchases — page { $page } of { $pages }:
purchases-none = You have not bought anything yet. Send /stars to see what is on sale.
purchases-entry = • { $date }: “{ $title }” — { $amount } ⭐ ({ $kind })
purchases-entry-refunded = • { $date }: “{ $title }” — { $amount } ⭐ ({ $kind }), refunded
purchases-again = 📦 “{ $title }” again
purchases-refunded = This purchase was refunded, so its content is no longer sent.
purchase-kind-credits = credits
purchase-kind-item = item
purchase-kind-subscription = subscription
purchase-kind-renewal = renewal
purchase-kind-duplicate = paid twice
purchase-kind-orphan = no order
refund-button = ↩️ Refund “{ $title }”, { $amount } ⭐
refund-confirm = Refund { $amount } ⭐ to user { $userId } for “{ $title }” (charge { $chargeId }, { $date })? What it granted is taken back.
refund-yes = ↩️ Yes, refund
refund-no = Cancel
refund-kept = Not refunded: charge { $chargeId } stands.
transactions-entry-product = { $date }: { $amount } ⭐ { $who } for “{ $title }” — { $id }
subscribers-title = Subscribers — page { $page } of { $pages }:
subscribers-none = No one has subscribed yet.
subscribers-entry = • { $user }: “{ $title }” — { $when }
subscribers-when-active = active, renews { $date }
subscribers-when-canceled = active, ends { $date }
subscribers-when-ended = { $state } since { $date }
user-usage = Usage: /user <id or @username>
user-unknown = No one known as { $who } has paid this bot.
user-title =
    👤 User { $userId }: { $balance ->
            [one] { $balance } credit
           *[other] { $balance } credits
        }.
user-payments = Payments:
user-no_payments = No payments.
user-subscriptions = Subscriptions:
user-subscription = • “{ $title }” — { $when }
refund-orphan_button = ↩️ Refund { $amount } ⭐

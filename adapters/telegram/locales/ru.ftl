# Русские тексты всех ботов. Идентификаторы — ключи текстов кода, где "." записана как "-".
# Числа передаются числами, и Fluent выбирает форму множественного числа (1 кредит, 2 кредита,
# 5 кредитов, 11 кредитов, 21 кредит).

start-greeting = Здравствуйте, { $name }! Я { $bot }. Отправьте /stars, чтобы посмотреть, что можно купить за Telegram Stars.
start-unknown_product = Товара «{ $product }» здесь нет. Отправьте /stars, чтобы увидеть, что продаётся.
command-start = Запустить бота
command-stars = Баланс, магазин и история
command-balance = Ваш баланс кредитов
command-history = История платежей и кредитов
command-subscriptions = Ваши подписки
command-paysupport = Помощь с оплатой
command-terms = Условия продажи
command-refund = Вернуть платёж (для администраторов)
menu-title = ⭐ Меню Stars. Ваш баланс: { $balance ->
        [one] { $balance } кредит
        [few] { $balance } кредита
       *[many] { $balance } кредитов
    }.
menu-balance = 💰 Баланс
menu-products = 🛒 Купить
menu-history = 📜 История
menu-subscriptions = 🔁 Подписки
menu-buy_stars = ⭐ Купить Stars
menu-check = ✅ Я купил Stars — проверить
menu-product_button = { $title } — { $price } ⭐
menu-products_title = Что хотите купить?
menu-no_products = Сейчас ничего не продаётся.
balance-text = Ваш баланс: { $balance ->
        [one] { $balance } кредит
        [few] { $balance } кредита
       *[many] { $balance } кредитов
    }.
history-title = История, страница { $page } из { $pages }:
history-empty = История пока пуста.
history-entry-deposit = { $date }: +{ $amount ->
        [one] { $amount } кредит
        [few] { $amount } кредита
       *[many] { $amount } кредитов
    } ({ $reason }) → { $balance }
history-entry-charge = { $date }: −{ $amount ->
        [one] { $amount } кредит
        [few] { $amount } кредита
       *[many] { $amount } кредитов
    } ({ $reason }) → { $balance }
history-entry-refund = { $date }: −{ $amount ->
        [one] { $amount } кредит
        [few] { $amount } кредита
       *[many] { $amount } кредитов
    } ({ $reason }) → { $balance }
history-entry-adjustment = { $date }: { $sign }{ $amount ->
        [one] { $amount } кредит
        [few] { $amount } кредита
       *[many] { $amount } кредитов
    } ({ $reason }) → { $balance }
history-prev = ◀ Новее
history-next = Старше ▶
check-pending = Ваш заказ «{ $title }» на { $price } ⭐ ещё ждёт оплаты. Вот он снова:
check-paid = Ваш последний заказ «{ $title }» оплачен. Баланс: { $balance ->
        [one] { $balance } кредит
        [few] { $balance } кредита
       *[many] { $balance } кредитов
    }.
check-nothing = Открытых заказов нет. Отправьте /stars, чтобы что-нибудь купить.
invoice-subscription_link = Подписка «{ $title }» за { $price } ⭐ в месяц:
invoice-subscribe_button = Подписаться за { $price } ⭐
invoice-stars_disabled = Оплата звёздами у этого бота выключена.
invoice-product_disabled = «{ $title }» сейчас не продаётся.
precheckout-unknown_order = Этот счёт недействителен. Запросите новый.
precheckout-expired = Срок действия счёта истёк. Запросите новый.
precheckout-wrong_currency = Этот счёт оплачивается только Telegram Stars.
precheckout-wrong_amount = Сумма не совпадает с заказом. Запросите новый счёт.
precheckout-wrong_payer = Этот счёт выставлен другому пользователю.
precheckout-product_disabled = Этот товар больше не продаётся.
precheckout-already_paid = Этот заказ уже оплачен.
precheckout-error = Не удалось проверить платёж. Попробуйте ещё раз через минуту.
receipt-credits =
    ✅ Оплата получена: { $price } ⭐ за «{ $title }». Начислено: { $credits ->
        [one] { $credits } кредит
        [few] { $credits } кредита
       *[many] { $credits } кредитов
    }; ваш баланс: { $balance }.
    Чек: { $chargeId }
receipt-item =
    ✅ Оплата получена: { $price } ⭐ за «{ $title }».
    Чек: { $chargeId }
receipt-subscription =
    ✅ Подписка «{ $title }» активна до { $until }.
    Чек: { $chargeId }
receipt-renewal =
    🔁 Подписка «{ $title }» продлена до { $until }.
    Чек: { $chargeId }
payment-double_refunded =
    Этот заказ уже был оплачен, поэтому ваш второй платёж на { $price } ⭐ возвращается.
    Платёж: { $chargeId }
payment-refunded =
    ↩️ Ваш платёж { $price } ⭐ за «{ $title }» возвращён.
    Платёж: { $chargeId }
low_balance-notice = ⚠️ На балансе { $balance ->
        [one] остался
       *[other] осталось
    } { $balance ->
        [one] { $balance } кредит
        [few] { $balance } кредита
       *[many] { $balance } кредитов
    }. Пополните, чтобы продолжить:
admin-orphan = ⚠️ Непривязанный платёж Stars: { $price } ⭐ от пользователя { $userId }, платёж { $chargeId }. { $why } Ничего не выдано. Верните его командой /refund { $chargeId } или выдайте вручную.
admin-orphan-unknown_order = Его payload { $payload } не соответствует ни одному заказу.
admin-orphan-foreign_payer = Его заказ { $orderId } принадлежит пользователю { $owner }.
admin-orphan-unknown_product = Товара { $productId } из его заказа больше нет в настройках.
low_balance-top_up = Пополнить
subscriptions-title = Ваши подписки:
subscriptions-none = У вас нет подписок.
subscriptions-entry = • { $title }: { $state }, до { $until }
subscriptions-state-active = активна, продлевается автоматически
subscriptions-state-canceled = активна, не будет продлена
subscriptions-state-expired = истекла
subscriptions-state-refunded = возвращена
subscriptions-state-failed = закончилась: оплата продления не прошла
subscriptions-cancel = Отключить продление «{ $title }»
subscriptions-resume = Снова продлевать «{ $title }»
subscriptions-canceled = «{ $title }» не будет продлена. Она активна до { $until }.
subscriptions-resumed = «{ $title }» снова будет продлеваться автоматически.
paysupport-text = 💬 Поддержка по оплате: напишите вопрос следующим сообщением, с номером чека, если он есть. Он уйдёт администраторам бота вместе с вашими последними чеками, а ответ придёт сюда. Возврат производится в Telegram Stars.
terms-text = Покупки оплачиваются Telegram Stars и выдаются в этом чате сразу после оплаты. Кредиты действуют только в этом боте. Возврат возможен через /paysupport.
refund-usage = Использование: /refund <charge_id>
refund-not_admin = Возвращать платежи могут только администраторы бота.
refund-unknown_charge = Платёж с идентификатором { $chargeId } здесь неизвестен.
refund-done = Возвращено { $price } ⭐ пользователю { $userId } (платёж { $chargeId }); списано: { $credits ->
        [one] { $credits } кредит
        [few] { $credits } кредита
       *[many] { $credits } кредитов
    }.
refund-already = Платёж { $chargeId } уже был возвращён; ничего не изменилось.
refund-failed = Telegram отказал в возврате { $chargeId }: { $error }
refund-not_made = Telegram не ответил на возврат { $chargeId }, и в его транзакциях такого возврата нет: ничего не возвращено и не списано. Отправьте /refund ещё раз, чтобы повторить.
refund-unanswered = Telegram не ответил на возврат { $chargeId } ({ $error }), поэтому пока неизвестно, сделан ли он. Если да, сверка спишет кредиты; проверьте через /reconcile или отправьте /refund ещё раз (дважды возврат не делается).
callback-unknown = Эта кнопка больше не действует.
plugin-error = Что-то пошло не так. Оператор бота уже знает.
deduct-insufficient = Недостаточно кредитов: нужно { $amount ->
        [one] { $amount } кредит
        [few] { $amount } кредита
       *[many] { $amount } кредитов
    }, у вас { $balance }. Пополните:
command-transactions = Транзакции Telegram Stars (для администраторов)
command-revenue = Баланс Stars бота (для администраторов)
command-reconcile = Сверить платежи с Telegram (для администраторов)
admin-only = Эта команда доступна только администраторам бота.
admin-not_configured = Эта команда не настроена для этого бота.
admin-unmatched_refund = ⚠️ Telegram вернул { $price } ⭐ пользователю { $userId } (платёж { $chargeId }), но такой платёж здесь не записан, поэтому ничего не списано. Проверьте его вручную.
admin-dead_update = ⚠️ Обновление { $updateId } ({ $kind }) отложено: { $error }. Бот продолжает работу со следующими; оператор может повторить или удалить его (оно есть в /status).
admin-dead_update-payment = В нём платёж: сверка (/reconcile) зачислит его по транзакциям Telegram.
transactions-title = Транзакции Stars, сначала новые — страница { $page } из { $pages }:
transactions-empty = У бота пока нет транзакций Stars.
transactions-usage = Использование: /transactions [страница], страница 1 — самые новые.
transactions-no_page = Страницы { $page } нет: в списке { $pages ->
        [one] { $pages } страница
        [few] { $pages } страницы
       *[many] { $pages } страниц
    }.
transactions-entry = { $date }: { $amount } ⭐ { $who } — { $id }
transactions-user = { $name } ({ $userId })
transactions-prev = ◀ Новее
transactions-next = Старше ▶
transactions-failed = Не удалось получить список транзакций от Telegram: { $error }
revenue-text =
    ⭐ Баланс бота: { $amount } Stars.
    Источник: { $source }, получено { $age } назад.
revenue-stale = ⚠️ Устарело: Telegram сейчас не ответил; это последнее известное значение.
revenue-source-mtproto_self = Telegram, запрос от имени бота
revenue-source-mtproto_user = Telegram, запрос от имени пользователя
revenue-source-bot_api = Bot API Telegram
revenue-source-last_known = последнее значение, полученное от Telegram
revenue-failed = Баланс Stars бота недоступен: { $error }
reconcile-done = Сверка завершена: проверено транзакций — { $scanned }; восстановлено потерянных платежей — { $recovered }, применено возвратов — { $refundsApplied }, без пары — { $unmatched }, уже известно — { $alreadyKnown }.
reconcile-failed = Сверка не удалась: { $error }
age-seconds = { $n } с
age-minutes = { $n } мин
age-hours = { $n } ч
age-days = { $n } дн
support-sent = ✉️ Отправлено в поддержку. Ответ придёт сюда.
support-recorded = ✉️ Ваше сообщение записано; оператор бота его прочитает.
support-rate_limited = Вы написали в поддержку несколько раз за короткое время. Подождите { $minutes } мин, прежде чем писать снова.
support-to_admin =
    🆘 Обращение в поддержку от { $name } (id { $userId }):
    { $text }
    
    Последние чеки:
    { $receipts }
    
    Ответьте на это сообщение, чтобы ответить покупателю.
support-receipt = • { $date }: «{ $title }», { $amount } ⭐, платёж { $chargeId }
support-receipt-refunded = • { $date }: «{ $title }», { $amount } ⭐, платёж { $chargeId } (возвращён)
support-no_receipts = (платежей нет)
support-answer =
    💬 Ответ поддержки:
    { $text }
support-answered = ✅ Отправлено покупателю.
help-text = Я не понял. Отправьте /stars — магазин и баланс, /purchases — ваши покупки, или /paysupport, чтобы написать нам об оплате.
help-unknown_command = Команды { $command } здесь нет. Отправьте /stars — магазин и баланс, или /paysupport, чтобы написать нам об оплате.
command-purchases = Ваши покупки
command-subscribers = Подписчики (для администраторов)
command-user = Платежи пользователя (для администраторов)
purchases-title = Ваши покупки — страница { $page } из { $pages }:
purchases-none = Вы пока ничего не купили. Отправьте /stars, чтобы увидеть, что продаётся.
purchases-entry = • { $date }: «{ $title }» — { $amount } ⭐ ({ $kind })
purchases-entry-refunded = • { $date }: «{ $title }» — { $amount } ⭐ ({ $kind }), возвращено
purchases-again = 📦 «{ $title }» ещё раз
purchases-refunded = Эта покупка возвращена, поэтому её содержимое больше не отправляется.
purchase-kind-credits = кредиты
purchase-kind-item = товар
purchase-kind-subscription = подписка
purchase-kind-renewal = продление
purchase-kind-duplicate = повторная оплата
purchase-kind-orphan = без заказа
refund-button = ↩️ Вернуть «{ $title }», { $amount } ⭐
refund-confirm = Вернуть { $amount } ⭐ пользователю { $userId } за «{ $title }» (платёж { $chargeId }, { $date })? Выданное за него будет списано.
refund-yes = ↩️ Да, вернуть
refund-no = Отмена
refund-kept = Не возвращено: платёж { $chargeId } остаётся в силе.
transactions-entry-product = { $date }: { $amount } ⭐ { $who } за «{ $title }» — { $id }
subscribers-title = Подписчики — страница { $page } из { $pages }:
subscribers-none = Подписчиков пока нет.
subscribers-entry = • { $user }: «{ $title }» — { $when }
subscribers-when-active = активна, продлится { $date }
subscribers-when-canceled = активна, закончится { $date }
subscribers-when-ended = { $state } с { $date }
user-usage = Использование: /user <id или @username>
user-unknown = Пользователь { $who } этому боту не платил.
user-title =
    👤 Пользователь { $userId }: { $balance ->
            [one] { $balance } кредит
            [few] { $balance } кредита
           *[many] { $balance } кредитов
        }.
user-payments = Платежи:
user-no_payments = Платежей нет.
user-subscriptions = Подписки:
user-subscription = • «{ $title }» — { $when }
refund-orphan_button = ↩️ Вернуть { $amount } ⭐

# ruff: noqa: E501
"""Demo knowledge-base articles (Russian and English Markdown), saved through the KB service."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.core.db import UnitOfWork

# (slug, title, tags, audience, summary, steps, escalation)
_RU = (
    (
        "ru/sms-code",
        "Не приходит SMS с кодом",
        ["вход", "sms"],
        "public",
        "Клиент не получает код подтверждения при входе.",
        [
            "Проверьте, что номер в карточке указан в формате +7.",
            "Попросите клиента перезагрузить телефон.",
            "Отправьте код повторно через 60 секунд.",
            "Предложите вход по ссылке из письма.",
        ],
        "Если код не пришёл трижды — тикет в очередь Technical с номером телефона.",
    ),
    (
        "ru/double-charge",
        "Двойное списание по карте",
        ["оплата", "возврат"],
        "internal",
        "С карты клиента списали оплату дважды.",
        [
            "Найдите оба платежа в биллинге по последним 4 цифрам карты.",
            "Убедитесь, что второй платёж не в статусе «холд».",
            "Оформите возврат второго платежа.",
            "Сообщите клиенту срок: до 10 рабочих дней.",
        ],
        "Сумма больше 50 000 ₽ — согласование руководителя смены.",
    ),
    (
        "ru/closing-documents",
        "Закрывающие документы",
        ["документы", "бухгалтерия"],
        "public",
        "Клиенту нужны акт, счёт-фактура или УПД.",
        [
            "Проверьте реквизиты организации в карточке.",
            "Сформируйте документы в биллинге за нужный период.",
            "Отправьте их на адрес бухгалтерии клиента.",
        ],
        "Нет реквизитов — запросите карточку предприятия.",
    ),
    (
        "ru/refund",
        "Возврат денежных средств",
        ["возврат", "оплата"],
        "public",
        "Клиент ждёт возврат средств.",
        [
            "Проверьте дату и способ оплаты.",
            "Карта: до 10 рабочих дней; СБП: до 3 дней.",
            "Если срок вышел — запросите выписку у клиента.",
        ],
        "Передайте тикет в Billing с выпиской.",
    ),
    (
        "ru/change-address",
        "Смена адреса доставки",
        ["доставка", "заказ"],
        "public",
        "Клиент хочет изменить адрес в оформленном заказе.",
        [
            "Адрес можно сменить до передачи заказа курьеру.",
            "Уточните новый адрес и удобное время.",
            "Проверьте, что новый адрес в зоне доставки.",
        ],
        "Заказ уже у курьера — свяжитесь со службой доставки.",
    ),
    (
        "ru/tariff-change",
        "Смена тарифа",
        ["тарифы"],
        "public",
        "Переход на другой тариф.",
        [
            "Новый тариф действует с первого числа следующего месяца.",
            "Перерасчёт за текущий месяц не делается.",
            "Зафиксируйте согласие клиента в тикете.",
        ],
        "Корпоративные тарифы — через отдел продаж.",
    ),
    (
        "ru/router",
        "Роутер не подключается к сети",
        ["оборудование", "интернет"],
        "public",
        "После обновления прошивки роутер не видит сеть.",
        [
            "Попросите выключить роутер на 30 секунд.",
            "Проверьте индикатор WAN.",
            "Сбросьте настройки кнопкой Reset (10 секунд).",
            "Настройте подключение по инструкции из договора.",
        ],
        "Индикатор WAN не горит — выезд мастера.",
    ),
    (
        "ru/cabinet-502",
        "Ошибка 502 в личном кабинете",
        ["кабинет", "ошибки"],
        "internal",
        "Клиент видит ошибку 502 при входе.",
        [
            "Проверьте страницу статуса сервисов.",
            "Попросите очистить кэш браузера.",
            "Попробуйте вход из режима инкогнито.",
        ],
        "Массовая проблема — сообщите дежурному инженеру.",
    ),
    (
        "ru/courier-complaint",
        "Жалоба на курьера",
        ["доставка", "жалоба"],
        "internal",
        "Клиент недоволен работой курьера.",
        [
            "Извинитесь и зафиксируйте детали: дата, время, номер заказа.",
            "Предложите промокод на следующую доставку.",
            "Создайте тикет в Support с тегом «жалоба».",
        ],
        "Повторная жалоба — руководителю смены.",
    ),
    (
        "ru/commercial-offer",
        "Коммерческое предложение",
        ["продажи"],
        "internal",
        "Запрос КП от организации.",
        [
            "Уточните количество лицензий и срок.",
            "Проверьте группу клиента (Partner, Wholesale — особые цены).",
            "Передайте тикет в очередь Sales.",
        ],
        "Срок ответа — один рабочий день.",
    ),
    (
        "ru/slow-reports",
        "Медленно формируются отчёты",
        ["отчёты", "производительность"],
        "internal",
        "Отчёты за большой период строятся долго.",
        [
            "Предложите разбить период на месяцы.",
            "Проверьте, не включены ли лишние фильтры.",
            "Запустите формирование в фоне с отправкой на почту.",
        ],
        "Дольше 30 минут — в Technical.",
    ),
    (
        "ru/personal-data",
        "Запрос на удаление персональных данных",
        ["152-ФЗ", "данные"],
        "internal",
        "Клиент просит удалить его данные.",
        [
            "Проверьте личность клиента (кодовое слово или паспорт).",
            "Зарегистрируйте запрос в тикете.",
            "Срок исполнения — 30 дней.",
        ],
        "Передайте тикет юристу через руководителя.",
    ),
    (
        "ru/call-script",
        "Скрипт приветствия",
        ["скрипты"],
        "internal",
        "Как начинать разговор.",
        [
            "«Здравствуйте! Компания …, меня зовут …, чем могу помочь?»",
            "Найдите клиента по номеру телефона.",
            "Уточните имя и отчество, если карточки нет.",
        ],
        "Клиент агрессивен — предложите перезвонить.",
    ),
    (
        "ru/birthday",
        "Поздравление с днём рождения",
        ["клиенты", "лояльность"],
        "internal",
        "Напоминание о дне рождения клиента.",
        [
            "Поздравьте клиента в начале разговора.",
            "VIP-клиентам предложите подарочный промокод.",
            "Отметьте напоминание выполненным.",
        ],
        "—",
    ),
    (
        "ru/blocked-client",
        "Клиент в группе Blocked",
        ["клиенты", "безопасность"],
        "internal",
        "Карточка клиента отмечена красным (Blocked).",
        [
            "Не выполняйте операции по счёту.",
            "Вежливо сообщите о необходимости обратиться в офис.",
            "Зафиксируйте звонок с исходом «complaint» при претензии.",
        ],
        "Вопросы — руководителю смены.",
    ),
    (
        "ru/wrong-layout",
        "Поиск клиента по любому фрагменту",
        ["поиск", "консоль"],
        "internal",
        "Как найти звонящего за секунду.",
        [
            "Наберите последние 4 цифры номера.",
            "Имя можно набрать латиницей или в неверной раскладке.",
            "Номер тикета — с решёткой: #1234.",
        ],
        "—",
    ),
)
_EN = (
    ("en/password-reset", "Password reset link expired", ["login", "password"], "public",
     "The customer's reset link says it has expired.",
     ["Links are valid for 30 minutes.", "Send a new link from the customer's card.",
      "Ask them to open it in the same browser."], "Third failure: raise a Technical ticket."),
    ("en/double-billing", "Customer charged twice", ["billing", "refund"], "internal",
     "Two charges for one subscription period.",
     ["Find both charges by the last four card digits.", "Refund the later charge.",
      "Tell the customer refunds take up to 10 working days."], "Above 1,000 GBP: supervisor approval."),
    ("en/vat-invoice", "Sending a VAT invoice", ["billing", "documents"], "public",
     "The customer needs a VAT invoice.",
     ["Check the company details and VAT number.", "Generate the invoice in billing.",
      "Email it to the accounts address on file."], "No VAT number: ask for it first."),
    ("en/refund-status", "Where is my refund?", ["billing", "refund"], "public",
     "A confirmed refund has not arrived.",
     ["Cards: up to 10 working days.", "Bank transfer: up to 5 working days.",
      "Past the deadline, ask for a bank statement."], "Pass the ticket to Billing with the statement."),
    ("en/quote", "Preparing a quote", ["sales"], "internal",
     "A company asks for a quote.",
     ["Confirm the number of seats and the term.", "Partner and Wholesale groups get their own price list.",
      "Move the ticket to the Sales queue."], "Quotes go out within one working day."),
    ("en/upgrade", "Mid-term upgrade to Enterprise", ["sales", "plans"], "public",
     "Upgrading before the current term ends.",
     ["The price is pro-rated to the day.", "Features switch on immediately.",
      "The renewal date stays the same."], "Custom contracts: Sales."),
    ("en/api-500", "API returns 500 errors", ["api", "errors"], "internal",
     "Calls to the API fail with HTTP 500.",
     ["Check the status page first.", "Ask for a request id from the response headers.",
      "Reproduce with the customer's sandbox key."], "Several customers affected: page the on-call engineer."),
    ("en/xlsx-export", "Excel export downloads an empty file", ["export", "reports"], "public",
     "The XLSX export is empty.",
     ["Check the date filter: an empty range exports nothing.", "Try CSV to rule out the spreadsheet app.",
      "Clear the browser's download cache."], "Still empty: Technical with the report name."),
    ("en/mobile-login", "Mobile app login loop", ["mobile", "login"], "public",
     "The app keeps returning to the login screen.",
     ["Update the app to the latest version.", "Sign out on all devices from the web account page.",
      "Reinstall the app."], "Still looping: collect the app version and device model."),
    ("en/wait-time", "Handling complaints about wait time", ["complaints"], "internal",
     "The customer complains about waiting on the line.",
     ["Apologise and thank them for waiting.", "Offer a call-back slot next time.",
      "Log the call with outcome complaint."], "Repeated complaints: supervisor."),
    ("en/cancel", "Cancelling a subscription", ["subscriptions"], "public",
     "The customer wants to cancel.",
     ["Ask for the reason and log it.", "Offer the pause option (up to 3 months).",
      "Cancel at the end of the paid period."], "Refund requests: Billing."),
    ("en/gdpr", "Data subject access request", ["gdpr", "privacy"], "internal",
     "A customer asks what data we hold.",
     ["Verify the customer's identity.", "Log the request in a ticket.", "We answer within one month."],
     "Forward to the data protection officer."),
    ("en/greeting", "Call greeting script", ["scripts"], "internal",
     "How to open a call.",
     ["\"Good morning, you're through to …, my name is …, how can I help?\"", "Find the caller by phone number.",
      "Confirm the name before discussing the account."], "Abusive caller: offer a call-back and end the call."),
    ("en/vip", "Serving VIP customers", ["vip", "customers"], "internal",
     "Cards with a gold colour belong to the VIP group.",
     ["Answer VIP tickets within one hour.", "Keep the account owner in copy.",
      "Offer a direct call-back number."], "Any complaint: supervisor at once."),
    ("en/lookup-tips", "Finding a caller fast", ["search", "console"], "internal",
     "Tips for the lookup box.",
     ["Type the last four digits of the number.", "Names work in Latin or Cyrillic, even on the wrong layout.",
      "Prefix ticket numbers with #."], "—"),
    ("en/reminders", "Using reminders", ["reminders", "console"], "internal",
     "Follow-ups and birthdays pop up on time.",
     ["Create a reminder from the client's card.", "Snooze moves it by 15 minutes, 1 hour or 1 day.",
      "Birthday reminders appear a day ahead."], "—"),
)  # fmt: skip

_HEADINGS = {
    "ru": ("Ситуация", "Что делать", "Если не помогло"),
    "en": ("Situation", "What to do", "If that did not help"),
}


def demo_articles() -> list[tuple[str, str, str, list[str], str]]:
    """``(slug, title, markdown body, tags, audience)`` for every demo article, Russian first."""
    out = []
    for language, articles in (("ru", _RU), ("en", _EN)):
        situation, todo, escalate = _HEADINGS[language]
        for slug, title, tags, audience, summary, steps, escalation in articles:
            numbered = "\n".join(f"{number}. {step}" for number, step in enumerate(steps, 1))
            body = (
                f"## {situation}\n\n{summary}\n\n## {todo}\n\n{numbered}\n\n## {escalate}\n\n{escalation}\n"
            )
            out.append((f"demo/{slug}", title, body, ["demo", *tags], audience))
    return out


def save_demo_articles(uow: UnitOfWork) -> int:
    """Create (or leave unchanged) the demo articles through the KB service, which keeps its index current.

    Without the KB service (an older tree) the articles go into the table directly, missing slugs only.
    """
    try:
        from hotline.core.kb.markdown import ArticleSource, Audience
        from hotline.core.services.kb import save_article
    except ModuleNotFoundError:
        return _insert_articles(uow)
    for slug, title, body, tags, audience in demo_articles():
        source = ArticleSource(title=title, body=body, tags=tags, audience=Audience(audience))
        save_article(uow, source=source, slug=slug)
    return len(_RU) + len(_EN)


def _insert_articles(uow: UnitOfWork) -> int:
    from sqlmodel import select

    from hotline.core.models import KbArticle

    present = set(uow.session.exec(select(KbArticle.slug)).all())
    now = uow.now()
    for slug, title, body, tags, audience in demo_articles():
        if slug not in present:
            uow.session.add(
                KbArticle(slug=slug, title=title, body=body, tags=tags, audience=audience,
                          updated_by=uow.actor_name, created_at=now, updated_at=now)
            )  # fmt: skip
    uow.session.flush()
    return len(_RU) + len(_EN)

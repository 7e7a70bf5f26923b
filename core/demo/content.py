"""The fixed parts of the demo: groups, queues, operators, tags, and the texts of tickets and calls."""

from __future__ import annotations

# (name, colour, contract level)
GROUPS: tuple[tuple[str, str, str | None], ...] = (
    ("VIP", "#d4af37", "gold"),
    ("Partner", "#1e88e5", "silver"),
    ("Regular", "#43a047", None),
    ("Wholesale", "#fb8c00", "silver"),
    ("New", "#8e24aa", None),
    ("Blocked", "#e53935", None),
)
# Cumulative weights for GROUPS, and the share of clients with no group at all.
GROUP_WEIGHTS = (3, 5, 55, 6, 10, 2)
NO_GROUP_SHARE = 0.19

QUEUES: tuple[tuple[str, str], ...] = (
    ("Support", "General questions and first-line support"),
    ("Billing", "Invoices, payments, refunds"),
    ("Sales", "Quotes, orders and new contracts"),
    ("Technical", "Second-line technical problems"),
)

# (login, display name, role, email, active)
OPERATORS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("admin", "Администратор системы", "admin", "admin@hotline.example.com", True),
    ("m.orlova", "Марина Орлова", "supervisor", "m.orlova@hotline.example.com", True),
    ("j.parker", "James Parker", "supervisor", "j.parker@hotline.example.com", True),
    ("s.volkov", "Сергей Волков", "supervisor", "s.volkov@hotline.example.com", True),
    ("a.ivanova", "Анна Иванова", "operator", "a.ivanova@hotline.example.com", True),
    ("d.smirnov", "Дмитрий Смирнов", "operator", "d.smirnov@hotline.example.com", True),
    ("e.kuznetsova", "Екатерина Кузнецова", "operator", "e.kuznetsova@hotline.example.com", True),
    ("i.petrov", "Игорь Петров", "operator", "i.petrov@hotline.example.com", True),
    ("o.sokolova", "Ольга Соколова", "operator", "o.sokolova@hotline.example.com", True),
    ("n.fedorov", "Николай Фёдоров", "operator", "n.fedorov@hotline.example.com", True),
    ("e.wilson", "Emily Wilson", "operator", "e.wilson@hotline.example.com", True),
    ("t.brown", "Thomas Brown", "operator", "t.brown@hotline.example.com", True),
    ("s.green", "Sarah Green", "operator", "s.green@hotline.example.com", True),
    ("m.taylor", "Michael Taylor", "operator", "m.taylor@hotline.example.com", True),
    ("l.morozova", "Людмила Морозова", "operator", "l.morozova@hotline.example.com", False),
)

TAGS_RU = ("рассылка", "опт", "перезвонить", "корпоратив", "жалоба", "лояльный", "дилер", "самовывоз")
TAGS_EN = (
    "newsletter",
    "wholesale",
    "callback",
    "english-speaking",
    "reseller",
    "priority-line",
    "trial",
    "churn-risk",
)

NOTES_RU = (
    "Предпочитает звонки после 17:00.",
    "Просил не звонить в выходные.",
    "Постоянный клиент с 2015 года.",
    "Оплата только по безналичному расчёту.",
    "Говорит быстро, уточнять номер заказа.",
    "Интересовался оптовыми скидками.",
)
NOTES_EN = (
    "Prefers email over phone.",
    "Call back only between 9 and 12.",
    "Long-standing customer, handle with care.",
    "Asked about the annual plan discount.",
    "Hard of hearing: speak slowly.",
    "Decision maker for renewals.",
)

# (queue, subject, first message) — Russian and English.
TICKETS_RU = (
    (
        "Support",
        "Не приходит SMS с кодом",
        "Здравствуйте! Уже час не могу войти: код подтверждения не приходит.",
    ),
    (
        "Support",
        "Как сменить адрес доставки?",
        "Подскажите, пожалуйста, как изменить адрес в оформленном заказе.",
    ),
    (
        "Billing",
        "Двойное списание по карте",
        "С карты дважды списали оплату за один заказ. Верните, пожалуйста.",
    ),
    ("Billing", "Нужен закрывающий документ", "Пришлите, пожалуйста, акт и счёт-фактуру за прошлый месяц."),
    ("Billing", "Возврат средств", "Оформил возврат две недели назад, деньги так и не пришли."),
    ("Sales", "Запрос коммерческого предложения", "Просим выставить КП на 40 лицензий с годовой поддержкой."),
    ("Sales", "Скидка при продлении", "Какие условия продления для действующих клиентов?"),
    ("Technical", "Не работает личный кабинет", "При входе в личный кабинет появляется ошибка 502."),
    ("Technical", "Роутер не подключается", "После обновления прошивки роутер не видит сеть."),
    ("Technical", "Медленная загрузка отчётов", "Отчёт за квартал формируется больше десяти минут."),
    ("Support", "Жалоба на курьера", "Курьер опоздал на три часа и не предупредил."),
    ("Support", "Смена тарифа", "Хочу перейти на тариф «Бизнес» со следующего месяца."),
)
TICKETS_EN = (
    ("Support", "Cannot reset my password", "Hi, the reset link in your email says it has expired."),
    ("Support", "Change of delivery address", "Could you change the delivery address on order 5521?"),
    (
        "Billing",
        "Charged twice this month",
        "I was billed twice for the same subscription. Please refund one.",
    ),
    ("Billing", "VAT invoice needed", "Please send a VAT invoice for our last payment."),
    ("Billing", "Refund not received", "The refund you confirmed ten days ago has not arrived."),
    ("Sales", "Quote for 25 seats", "We would like a quote for 25 seats on the annual plan."),
    ("Sales", "Upgrade to the Enterprise plan", "What does the upgrade to Enterprise cost mid-term?"),
    ("Technical", "API returns 500 errors", "Since this morning every call to /v2/orders fails with 500."),
    ("Technical", "Export to Excel is broken", "The XLSX export downloads an empty file."),
    ("Technical", "Login loop on mobile app", "The iOS app keeps sending me back to the login screen."),
    ("Support", "Complaint about wait time", "I waited 40 minutes on the line yesterday."),
    ("Support", "Cancel my subscription", "Please cancel my subscription at the end of this period."),
)

REPLIES_RU = (
    "Спасибо за обращение! Уже разбираемся, вернёмся с ответом в течение дня.",
    "Проверили: всё исправлено, попробуйте, пожалуйста, ещё раз.",
    "Направили документы на вашу почту.",
    "Уточните, пожалуйста, номер заказа или договора.",
)
REPLIES_EN = (
    "Thank you for contacting us! We are looking into it and will reply within a day.",
    "This is fixed now; could you try again, please?",
    "We have sent the documents to your email address.",
    "Could you tell us your order or contract number, please?",
)
FOLLOW_UPS_RU = (
    "Спасибо, всё работает!",
    "Пока без изменений, проблема осталась.",
    "Документы получили, спасибо.",
)
FOLLOW_UPS_EN = (
    "Thanks, it works now!",
    "Still the same, nothing has changed.",
    "Got the documents, thank you.",
)
INTERNAL_NOTES = (
    "Checked the logs: the gateway timed out at 09:12.",
    "Передал во второй линию, ждём ответа.",
    "Client is on the VIP list, keep them informed.",
    "Повторное обращение, см. предыдущий тикет.",
)

# (outcome, share of calls, duration range in seconds)
CALL_OUTCOMES: tuple[tuple[str, int, tuple[int, int]], ...] = (
    ("resolved", 40, (60, 900)),
    ("callback", 12, (30, 300)),
    ("transferred", 8, (45, 400)),
    ("sale", 7, (180, 1500)),
    ("complaint", 6, (120, 1200)),
    ("voicemail", 10, (15, 60)),
    ("no_answer", 12, (0, 0)),
    ("wrong_number", 5, (5, 30)),
)
CALL_NOTES = (
    "Уточнил статус заказа.",
    "Asked about delivery times.",
    "Проконсультировал по тарифам.",
    "Explained the invoice.",
    "Договорились о повторном звонке.",
    "Walked through the setup steps.",
)
MEETING_SUBJECTS = (
    "Квартальная встреча",
    "Presentation of the new plan",
    "Подписание договора",
    "Onboarding session",
)
EMAIL_SUBJECTS = ("Счёт за услуги", "Your monthly statement", "Приглашение на вебинар", "Renewal reminder")

RU_FREE_MAIL = ("mail.ru", "yandex.ru", "gmail.com", "rambler.ru", "bk.ru", "inbox.ru")
EN_FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.co.uk", "icloud.com", "proton.me")

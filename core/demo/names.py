"""Name pools for the demo: Russian names with their gender forms, English names, company names.

Russian persons are written ``Фамилия Имя Отчество``; the surname and patronymic take the person's gender.
"""

from __future__ import annotations

from functools import lru_cache

# (male first name, patronymic for a son, patronymic for a daughter)
RU_MALE: tuple[tuple[str, str, str], ...] = (
    ("Александр", "Александрович", "Александровна"),
    ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Анатолий", "Анатольевич", "Анатольевна"),
    ("Борис", "Борисович", "Борисовна"),
    ("Вадим", "Вадимович", "Вадимовна"),
    ("Василий", "Васильевич", "Васильевна"),
    ("Виктор", "Викторович", "Викторовна"),
    ("Владимир", "Владимирович", "Владимировна"),
    ("Геннадий", "Геннадьевич", "Геннадьевна"),
    ("Георгий", "Георгиевич", "Георгиевна"),
    ("Григорий", "Григорьевич", "Григорьевна"),
    ("Денис", "Денисович", "Денисовна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Егор", "Егорович", "Егоровна"),
    ("Иван", "Иванович", "Ивановна"),
    ("Игорь", "Игоревич", "Игоревна"),
    ("Илья", "Ильич", "Ильинична"),
    ("Кирилл", "Кириллович", "Кирилловна"),
    ("Константин", "Константинович", "Константиновна"),
    ("Лев", "Львович", "Львовна"),
    ("Максим", "Максимович", "Максимовна"),
    ("Михаил", "Михайлович", "Михайловна"),
    ("Никита", "Никитич", "Никитична"),
    ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"),
    ("Павел", "Павлович", "Павловна"),
    ("Пётр", "Петрович", "Петровна"),
    ("Роман", "Романович", "Романовна"),
    ("Сергей", "Сергеевич", "Сергеевна"),
    ("Станислав", "Станиславович", "Станиславовна"),
    ("Степан", "Степанович", "Степановна"),
    ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Юрий", "Юрьевич", "Юрьевна"),
    ("Ярослав", "Ярославович", "Ярославовна"),
)

RU_FEMALE: tuple[str, ...] = (
    "Анастасия", "Анна", "Алёна", "Валентина", "Вера", "Виктория", "Галина", "Дарья", "Екатерина",
    "Елена", "Жанна", "Зоя", "Ирина", "Ксения", "Лариса", "Любовь", "Людмила", "Марина", "Мария",
    "Надежда", "Наталья", "Нина", "Оксана", "Ольга", "Полина", "Светлана", "София", "Татьяна",
    "Ульяна", "Юлия",
)  # fmt: skip

# Surnames in their masculine form; ``ru_surname`` derives the feminine one.
RU_SURNAMES: tuple[str, ...] = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
    "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
    "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв",
    "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов",
    "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков",
    "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов", "Жуков",
    "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов",
    "Сидоров", "Матвеев", "Титов", "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов",
    "Мельников", "Денисов", "Гаврилов", "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев",
    "Тимофеев", "Фомин", "Чернов", "Абрамов", "Мартынов", "Ефимов", "Федотов", "Щербаков",
    "Назаров", "Калинин", "Исаев", "Чернышёв", "Быков", "Маслов", "Родионов", "Коновалов",
    "Лазарев", "Воронин", "Климов", "Филатов", "Пономарёв", "Голубев", "Кудрявцев", "Прохоров",
    "Наумов", "Потапов", "Журавлёв", "Овчинников", "Трофимов", "Леонов", "Соболев", "Ермаков",
    "Колесников", "Гончаров", "Емельянов", "Никифоров", "Грачёв", "Котов", "Гришин", "Ефремов",
    "Архипов", "Громов", "Кириллов", "Малышев", "Панов", "Моисеев", "Румянцев", "Акимов",
    "Кондратьев", "Бирюков", "Горбунов", "Анисимов", "Ерёмин", "Тихомиров", "Галкин", "Лукьянов",
    "Михеев", "Скворцов", "Юдин", "Белоусов", "Нестеров", "Симонов", "Прокофьев", "Харитонов",
    "Князев", "Цветков", "Левин", "Митрофанов", "Воронцов", "Дьячков", "Островский", "Вишневский",
    "Жуковский", "Ковальский", "Покровский", "Успенский", "Троицкий", "Рождественский", "Полянский",
    "Толстой", "Трубецкой", "Шевченко", "Бондаренко", "Коваленко", "Ткаченко", "Кравченко",
    "Кузнец", "Черных", "Белых", "Седых", "Долгих", "Мороз", "Гоголь", "Лис", "Крамской",
)  # fmt: skip


def ru_surname(masculine: str, female: bool) -> str:
    """The surname in the person's gender: ``Иванов``/``Иванова``, ``Островский``/``Островская``."""
    if not female:
        return masculine
    if masculine.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return masculine + "а"
    if masculine.endswith(("ский", "цкий")):
        return masculine[:-2] + "ая"
    if masculine.endswith("ой"):
        return masculine[:-2] + "ая"
    return masculine  # -ко, -их, -ых and consonant endings do not change


EN_MALE: tuple[str, ...] = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
    "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Paul", "Steven", "Andrew", "Kenneth",
    "Joshua", "Kevin", "Brian", "George", "Edward", "Oliver", "Harry", "Jack", "Henry", "Samuel",
    "Peter", "Simon", "Alan",
)  # fmt: skip

EN_FEMALE: tuple[str, ...] = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Nancy", "Lisa", "Margaret", "Sandra", "Ashley", "Emily", "Michelle", "Amanda", "Olivia",
    "Emma", "Charlotte", "Amelia", "Sophie", "Grace", "Chloe", "Lucy", "Hannah", "Rachel", "Laura",
    "Helen",
)  # fmt: skip

EN_SURNAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams",
    "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner",
    "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan",
    "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Wood", "James", "Bennett", "Gray", "Hughes", "Price", "Sanders", "Myers", "Long",
    "Ross", "Foster", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman",
    "Butler", "Henderson", "Barnes", "Fisher", "Vasquez", "Simmons", "Graham", "Marshall", "Owens",
    "Harrison", "Gibson", "Wallace", "Hamilton", "Fletcher", "Holmes", "Knight", "Palmer", "Lloyd",
    "O'Brien", "O'Connor", "McDonald", "MacLeod", "Fitzgerald", "Sinclair", "Hartley", "Whitaker",
)  # fmt: skip

RU_COMPANY_FORMS: tuple[str, ...] = ("ООО", "ООО", "ООО", "АО", "ПАО", "ЗАО")
RU_COMPANY_HEADS: tuple[tuple[str, str], ...] = (
    ("Альфа", "alfa"), ("Север", "sever"), ("Восток", "vostok"), ("Гранит", "granit"), ("Вектор", "vektor"),
    ("Ромашка", "romashka"), ("Техно", "tekhno"), ("Сибирь", "sibir"), ("Волга", "volga"), ("Урал", "ural"),
    ("Мега", "mega"), ("Форвард", "forvard"), ("Прайм", "praim"), ("Стандарт", "standart"),
    ("Кедр", "kedr"), ("Орбита", "orbita"), ("Меридиан", "meridian"), ("Полюс", "polyus"),
    ("Заря", "zarya"), ("Рубин", "rubin"), ("Сокол", "sokol"), ("Ладога", "ladoga"), ("Нева", "neva"),
    ("Байкал", "baikal"), ("Янтарь", "yantar"), ("Электрон", "elektron"), ("Атлант", "atlant"),
)  # fmt: skip
RU_COMPANY_TAILS: tuple[tuple[str, str], ...] = (
    ("Строй", "stroy"), ("Трейд", "treid"), ("Сервис", "servis"), ("Логистик", "logistik"),
    ("Софт", "soft"), ("Энерго", "energo"), ("Маркет", "market"), ("Пром", "prom"), ("Агро", "agro"),
    ("Транс", "trans"), ("Медиа", "media"), ("Фарм", "farm"), ("Телеком", "telekom"), ("Инвест", "invest"),
    ("Снаб", "snab"), ("Проект", "proekt"),
)  # fmt: skip

EN_COMPANY_HEADS: tuple[str, ...] = (
    "Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Cyberdyne", "Hooli",
    "Vandelay", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adventure", "Blue Yonder", "Silverline",
    "Redwood", "Oakridge", "Brightwater", "Harbour", "Summit", "Pinnacle", "Evergreen", "Ironbridge",
)  # fmt: skip
EN_COMPANY_TAILS: tuple[str, ...] = (
    "Logistics", "Traders", "Systems", "Industries", "Solutions", "Holdings", "Partners", "Foods",
    "Software", "Energy", "Consulting", "Media", "Pharma", "Networks", "Retail", "Labs",
)  # fmt: skip
EN_COMPANY_FORMS: tuple[str, ...] = ("Ltd", "Inc.", "LLC", "plc", "GmbH", "Corp.")

RU_CITIES: tuple[str, ...] = (
    "Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург", "Нижний Новгород", "Самара",
    "Ростов-на-Дону", "Краснодар", "Воронеж", "Пермь", "Тюмень",
)  # fmt: skip
EN_CITIES: tuple[str, ...] = (
    "London",
    "Manchester",
    "Leeds",
    "New York",
    "Boston",
    "Chicago",
    "Dublin",
    "Toronto",
)

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y",
    "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip


@lru_cache(maxsize=4096)
def latin(word: str) -> str:
    """A lower-case ASCII transliteration for email local parts (``Фёдоров`` → ``fedorov``)."""
    out = "".join(_TRANSLIT.get(ch, ch) for ch in word.lower())
    return "".join(ch for ch in out if ch.isascii() and (ch.isalnum() or ch in ".-"))

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
    ("Аркадий", "Аркадьевич", "Аркадьевна"),
    ("Арсений", "Арсеньевич", "Арсеньевна"),
    ("Артём", "Артёмович", "Артёмовна"),
    ("Артур", "Артурович", "Артуровна"),
    ("Богдан", "Богданович", "Богдановна"),
    ("Валентин", "Валентинович", "Валентиновна"),
    ("Валерий", "Валерьевич", "Валерьевна"),
    ("Виталий", "Витальевич", "Витальевна"),
    ("Владислав", "Владиславович", "Владиславовна"),
    ("Всеволод", "Всеволодович", "Всеволодовна"),
    ("Вячеслав", "Вячеславович", "Вячеславовна"),
    ("Глеб", "Глебович", "Глебовна"),
    ("Даниил", "Даниилович", "Данииловна"),
    ("Давид", "Давидович", "Давидовна"),
    ("Эдуард", "Эдуардович", "Эдуардовна"),
    ("Леонид", "Леонидович", "Леонидовна"),
    ("Матвей", "Матвеевич", "Матвеевна"),
    ("Марк", "Маркович", "Марковна"),
    ("Мирон", "Миронович", "Мироновна"),
    ("Назар", "Назарович", "Назаровна"),
    ("Ростислав", "Ростиславович", "Ростиславовна"),
    ("Руслан", "Русланович", "Руслановна"),
    ("Семён", "Семёнович", "Семёновна"),
    ("Тимофей", "Тимофеевич", "Тимофеевна"),
    ("Тимур", "Тимурович", "Тимуровна"),
    ("Филипп", "Филиппович", "Филипповна"),
    ("Эмиль", "Эмильевич", "Эмильевна"),
    ("Яков", "Яковлевич", "Яковлевна"),
    ("Антон", "Антонович", "Антоновна"),
    ("Аркадий", "Аркадьевич", "Аркадьевна"),
    ("Герман", "Германович", "Германовна"),
    ("Гордей", "Гордеевич", "Гордеевна"),
    ("Захар", "Захарович", "Захаровна"),
    ("Савелий", "Савельевич", "Савельевна"),
    ("Платон", "Платонович", "Платоновна"),
    ("Родион", "Родионович", "Родионовна"),
    ("Святослав", "Святославович", "Святославовна"),
    ("Эрик", "Эрикович", "Эриковна"),
)

RU_FEMALE: tuple[str, ...] = (
    "Анастасия", "Анна", "Алёна", "Валентина", "Вера", "Виктория", "Галина", "Дарья", "Екатерина",
    "Елена", "Жанна", "Зоя", "Ирина", "Ксения", "Лариса", "Любовь", "Людмила", "Марина", "Мария",
    "Надежда", "Наталья", "Нина", "Оксана", "Ольга", "Полина", "Светлана", "София", "Татьяна",
    "Ульяна", "Юлия", "Александра", "Алиса", "Алла", "Анжела", "Антонина", "Арина", "Валерия", "Варвара",
    "Василиса", "Вероника", "Владислава", "Диана", "Ева", "Евгения", "Евдокия", "Елизавета", "Зинаида",
    "Злата", "Инна", "Карина", "Кира", "Клавдия", "Кристина", "Лидия", "Лилия", "Маргарита", "Майя",
    "Милана", "Нелли", "Олеся", "Раиса", "Регина", "Римма", "Снежана", "Стефания", "Таисия", "Тамара",
    "Эвелина", "Элина", "Эльвира", "Яна", "Ярослава", "Ангелина", "Василина", "Виолетта", "Дина",
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
    "Агапов", "Агафонов", "Аксёнов", "Александров", "Алфёров", "Ананьев", "Андрианов", "Аникин", "Анохин",
    "Арсеньев", "Артемьев", "Астафьев", "Афонин", "Бабушкин", "Баженов", "Балашов", "Барсуков", "Басов",
    "Безруков", "Беликов", "Белкин", "Беспалов", "Бобров", "Бондарев", "Борисенко", "Бородин", "Бочаров",
    "Брагин", "Булгаков", "Бурцев", "Буров", "Бычков", "Валуев", "Варламов", "Васнецов", "Ведерников",
    "Верещагин", "Веселов", "Волошин", "Воробьев", "Вострецов", "Гаврилин", "Галицкий", "Гладков",
    "Глебов", "Голованов", "Голицын", "Горелов", "Горшков", "Греков", "Гришаев", "Гудков", "Гуляев",
    "Давыдков", "Дегтярёв", "Дементьев", "Демидов", "Дорофеев", "Дроздов", "Дубинин", "Дудин", "Дьяконов",
    "Евдокимов", "Евсеев", "Елисеев", "Ершов", "Жданов", "Жилин", "Завьялов", "Загоскин", "Заикин",
    "Зверев", "Зимин", "Золотарёв", "Зотов", "Зубков", "Зуев", "Иванников", "Игнатьев", "Измайлов",
    "Исаков", "Кабанов", "Калашников", "Камышев", "Капустин", "Карасёв", "Карпенко", "Каширин", "Клюев",
    "Кожевников", "Козырев", "Колобов", "Комиссаров", "Кондаков", "Копылов", "Корнилов", "Коротков",
    "Корчагин", "Костин", "Кочетков", "Краснов", "Крюков", "Кудрин", "Кулагин", "Куприянов", "Курочкин",
    "Лаврентьев", "Лавров", "Ларионов", "Латышев", "Лебедянский", "Лихачёв", "Логинов", "Лопатин",
    "Лукин", "Лыков", "Любимов", "Майоров", "Мальцев", "Мамонтов", "Маркин", "Масленников", "Медников",
    "Мещеряков", "Минаев", "Мишин", "Моргунов", "Муравьёв", "Мухин", "Назаренко", "Некрасов", "Носков",
    "Новосёлов", "Оборин", "Одинцов", "Озеров", "Окунев", "Олейников", "Орехов", "Панфилов", "Пестов",
    "Пирогов", "Платонов", "Плотников", "Поздняков", "Полежаев", "Полунин", "Попков", "Пушкарёв",
    "Рогов", "Рожков", "Русаков", "Рыбаков", "Рябов", "Савин", "Садовников", "Самойлов", "Сафонов",
    "Селезнёв", "Селиванов", "Сизов", "Скобелев", "Смирнитский", "Соколовский", "Спиридонов", "Старостин",
    "Стрельцов", "Субботин", "Суворов", "Суханов", "Сычёв", "Тарасенко", "Терентьев", "Тетерин",
    "Толкачёв", "Третьяков", "Туманов", "Тюрин", "Уваров", "Ульянов", "Устинов", "Фадеев", "Федосеев",
    "Фокин", "Хабаров", "Харламов", "Хохлов", "Худяков", "Цыганов", "Чайкин", "Чеботарёв", "Черкасов",
    "Чесноков", "Чистяков", "Шарапов", "Шаров", "Шевелёв", "Шестаков", "Шилов", "Широков", "Шубин",
    "Щукин", "Юрьев", "Яблоков", "Якушев", "Ярцев", "Ястребов", "Бердников", "Ветров", "Глушков",
    "Дружинин", "Ерохин", "Жаров", "Зыков", "Кокорин", "Лапин", "Мохов", "Нефёдов", "Пахомов", "Раков",
    "Сомов", "Тимошин", "Фирсов", "Хромов", "Чижов", "Шмелёв", "Юшков", "Яшин", "Вяземский", "Оболенский",
    "Заречный", "Луговской", "Раевский", "Шереметев", "Лещенко", "Марченко", "Савченко", "Руденко",
)  # fmt: skip


def ru_surname(masculine: str, female: bool) -> str:
    """The surname in the person's gender: ``Иванов``/``Иванова``, ``Островский``/``Островская``."""
    if not female:
        return masculine
    if masculine.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return masculine + "а"
    if masculine.endswith(("ский", "цкий")):
        return masculine[:-2] + "ая"
    if masculine.endswith(("ой", "ый")):
        return masculine[:-2] + "ая"
    return masculine  # -ко, -их, -ых and consonant endings do not change


EN_MALE: tuple[str, ...] = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
    "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Paul", "Steven", "Andrew", "Kenneth",
    "Joshua", "Kevin", "Brian", "George", "Edward", "Oliver", "Harry", "Jack", "Henry", "Samuel",
    "Peter", "Simon", "Alan", "Adam", "Aaron", "Albert", "Alexander", "Arthur", "Benjamin", "Bradley",
    "Bruce", "Carl", "Colin", "Connor", "Craig", "Dennis", "Derek", "Dominic", "Douglas", "Dylan",
    "Eric", "Ethan", "Frank", "Frederick", "Gary", "Gavin", "Gerald", "Gordon", "Graham", "Gregory",
    "Harold", "Harvey", "Ian", "Isaac", "Jacob", "Jason", "Jeffrey", "Jeremy", "Jonathan", "Jordan",
    "Keith", "Kyle", "Lawrence", "Leo", "Liam", "Lewis", "Logan", "Luke", "Martin", "Neil", "Nathan",
    "Nicholas", "Noah", "Owen", "Patrick", "Philip", "Ralph", "Raymond", "Rhys", "Roger", "Ronald",
    "Russell", "Ryan", "Scott", "Sean", "Stanley", "Stuart", "Terence", "Theo", "Timothy", "Toby",
    "Tristan", "Victor", "Vincent", "Walter", "Wayne", "Zachary", "Callum", "Declan", "Elliot",
)  # fmt: skip

EN_FEMALE: tuple[str, ...] = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Nancy", "Lisa", "Margaret", "Sandra", "Ashley", "Emily", "Michelle", "Amanda", "Olivia",
    "Emma", "Charlotte", "Amelia", "Sophie", "Grace", "Chloe", "Lucy", "Hannah", "Rachel", "Laura",
    "Helen", "Abigail", "Alice", "Alison", "Amber", "Angela", "Anna", "Beatrice", "Bethany", "Brenda",
    "Caroline", "Catherine", "Chelsea", "Christine", "Claire", "Deborah", "Diana", "Donna", "Eleanor",
    "Ella", "Eloise", "Evelyn", "Fiona", "Florence", "Freya", "Georgia", "Gemma", "Harriet", "Heather",
    "Holly", "Imogen", "Isabel", "Isla", "Jacqueline", "Jane", "Janet", "Joanna", "Julia", "Julie",
    "Katherine", "Kathleen", "Kayla", "Leah", "Lily", "Louise", "Lydia", "Maisie", "Megan", "Melissa",
    "Mia", "Molly", "Natalie", "Nicola", "Paige", "Pamela", "Phoebe", "Poppy", "Rebecca", "Rose",
    "Ruby", "Ruth", "Samantha", "Scarlett", "Shannon", "Sharon", "Stephanie", "Tessa", "Victoria",
    "Wendy", "Zoe", "Ava", "Daisy", "Erin", "Jasmine", "Keira", "Maya", "Naomi", "Rosie", "Sienna",
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
    "Abbott", "Ainsworth", "Archer", "Armstrong", "Ashton", "Atkinson", "Austin", "Bailey", "Ball",
    "Banks", "Barker", "Barlow", "Barrett", "Bates", "Baxter", "Beck", "Bentley", "Berry", "Bird",
    "Bishop", "Black", "Blackwood", "Booth", "Bowen", "Boyd", "Bradshaw", "Brennan", "Briggs", "Bryant",
    "Buckley", "Burgess", "Burke", "Burns", "Burton", "Byrne", "Caldwell", "Cameron", "Cartwright",
    "Chambers", "Chapman", "Christie", "Clarke", "Clayton", "Cole", "Connolly", "Conway", "Craig",
    "Crawford", "Cross", "Cunningham", "Dale", "Daniels", "Davidson", "Dawson", "Day", "Dean", "Dixon",
    "Dobson", "Doherty", "Douglas", "Doyle", "Duncan", "Dunn", "Elliott", "Ellis", "Farmer", "Farrell",
    "Ferguson", "Field", "Fleming", "Ford", "Forster", "Fowler", "Fox", "Francis", "Fraser", "Freeman",
    "Fuller", "Gallagher", "Gardner", "Gibbs", "Gilbert", "Goodwin", "Gordon", "Gough", "Grant",
    "Griffin", "Griffiths", "Hale", "Hall", "Hancock", "Hardy", "Harper", "Hart", "Harvey", "Hawkins",
    "Hayes", "Haynes", "Heath", "Hewitt", "Hicks", "Higgins", "Hodgson", "Holland", "Holt", "Hooper",
    "Hopkins", "Horton", "Houghton", "Hudson", "Hunt", "Hunter", "Hutchinson", "Jacobs", "Jarvis",
    "Jennings", "Johnston", "Jordan", "Kay", "Kemp", "Kennedy", "Kent", "Kerr", "Lamb", "Lambert",
    "Lane", "Lawrence", "Lawson", "Little", "Lowe", "Lucas", "Lynch", "Lyons", "Mann", "Marsh", "Mason",
    "Matthews", "May", "McCarthy", "McKenzie", "Mills", "Moss", "Murray", "Nash", "Newman", "Newton",
    "Nicholls", "Noble", "Norman", "Norris", "North", "Osborne", "Page", "Parry", "Patel", "Payne",
    "Pearce", "Pearson", "Pennington", "Pickering", "Pollard", "Poole", "Potter", "Pratt", "Preston",
    "Quinn", "Randall", "Read", "Reid", "Reynolds", "Rhodes", "Rice", "Richards", "Riley", "Robertson",
    "Rose", "Rowe", "Ryan", "Sharp", "Shaw", "Shepherd", "Short", "Simpson", "Slater", "Spencer",
    "Steele", "Stevens", "Stone", "Storey", "Sutton", "Swift", "Talbot", "Thornton", "Todd", "Townsend",
    "Tucker", "Vaughan", "Wade", "Walsh", "Walters", "Warren", "Watts", "Webb", "Webster", "Welch",
    "Wells", "West", "Wheeler", "Whitehead", "Wilkinson", "Willis", "Winter", "Woods", "Woodward",
    "Wyatt", "Yates", "York", "Ashby", "Beaumont", "Blake", "Cavendish", "Dalton", "Everett", "Fairfax",
    "Garrett", "Hargreaves", "Kingsley", "Langley", "Mercer", "Oakley", "Pemberton", "Radcliffe",
    "Sherwood", "Thorne", "Underwood", "Whitmore", "Ainsley", "Bancroft", "Carrington", "Dunmore",
)  # fmt: skip

RU_COMPANY_FORMS: tuple[str, ...] = ("ООО", "ООО", "ООО", "АО", "ПАО", "ЗАО")
RU_COMPANY_HEADS: tuple[tuple[str, str], ...] = (
    ("Альфа", "alfa"), ("Север", "sever"), ("Восток", "vostok"), ("Гранит", "granit"), ("Вектор", "vektor"),
    ("Ромашка", "romashka"), ("Техно", "tekhno"), ("Сибирь", "sibir"), ("Волга", "volga"), ("Урал", "ural"),
    ("Мега", "mega"), ("Форвард", "forvard"), ("Прайм", "praim"), ("Стандарт", "standart"),
    ("Кедр", "kedr"), ("Орбита", "orbita"), ("Меридиан", "meridian"), ("Полюс", "polyus"),
    ("Заря", "zarya"), ("Рубин", "rubin"), ("Сокол", "sokol"), ("Ладога", "ladoga"), ("Нева", "neva"),
    ("Байкал", "baikal"), ("Янтарь", "yantar"), ("Электрон", "elektron"), ("Атлант", "atlant"),
    ("Алмаз", "almaz"), ("Аврора", "avrora"), ("Берёза", "bereza"), ("Бриз", "briz"), ("Вега", "vega"),
    ("Витязь", "vityaz"), ("Гелиос", "gelios"), ("Дельта", "delta"), ("Енисей", "enisey"), ("Зенит", "zenit"),
    ("Импульс", "impuls"), ("Интер", "inter"), ("Исток", "istok"), ("Каскад", "kaskad"), ("Квант", "kvant"),
    ("Кристалл", "kristall"), ("Лидер", "lider"), ("Магистраль", "magistral"), ("Маяк", "mayak"),
    ("Монолит", "monolit"), ("Нова", "nova"), ("Омега", "omega"), ("Оптима", "optima"), ("Парус", "parus"),
    ("Пульсар", "pulsar"), ("Радуга", "raduga"), ("Регион", "region"), ("Русь", "rus"), ("Сатурн", "saturn"),
    ("Синтез", "sintez"), ("Спектр", "spektr"), ("Старт", "start"), ("Темп", "temp"), ("Тайга", "taiga"),
    ("Триада", "triada"), ("Феникс", "feniks"), ("Фортуна", "fortuna"), ("Эверест", "everest"),
    ("Эталон", "etalon"), ("Юпитер", "yupiter"), ("Ямал", "yamal"), ("Кама", "kama"), ("Ока", "oka"),
)  # fmt: skip
RU_COMPANY_TAILS: tuple[tuple[str, str], ...] = (
    ("Строй", "stroy"), ("Трейд", "treid"), ("Сервис", "servis"), ("Логистик", "logistik"),
    ("Софт", "soft"), ("Энерго", "energo"), ("Маркет", "market"), ("Пром", "prom"), ("Агро", "agro"),
    ("Транс", "trans"), ("Медиа", "media"), ("Фарм", "farm"), ("Телеком", "telekom"), ("Инвест", "invest"),
    ("Снаб", "snab"), ("Проект", "proekt"), ("Групп", "grupp"), ("Плюс", "plyus"), ("Мед", "med"),
    ("Хим", "khim"), ("Лес", "les"), ("Авто", "avto"), ("Нефть", "neft"), ("Газ", "gaz"),
    ("Металл", "metall"), ("Систем", "sistem"), ("Консалт", "konsalt"), ("Тех", "tekh"),
    ("Монтаж", "montazh"), ("Холдинг", "kholding"),
)  # fmt: skip

EN_COMPANY_HEADS: tuple[str, ...] = (
    "Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Cyberdyne", "Hooli",
    "Vandelay", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adventure", "Blue Yonder", "Silverline",
    "Redwood", "Oakridge", "Brightwater", "Harbour", "Summit", "Pinnacle", "Evergreen", "Ironbridge",
    "Apex", "Aspen", "Beacon", "Bluebell", "Cedar", "Clearwater", "Crown", "Crystal", "Eagle", "Falcon",
    "Granite", "Greenfield", "Highland", "Horizon", "Kestrel", "Lakeside", "Lighthouse", "Maple",
    "Meadow", "Nimbus", "Northstar", "Orion", "Phoenix", "Quantum", "Riverside", "Sterling", "Stonegate",
    "Sunrise", "Thames", "Trident", "Vertex", "Westbrook", "Willow", "Zenith", "Atlas", "Cobalt",
)  # fmt: skip
EN_COMPANY_TAILS: tuple[str, ...] = (
    "Logistics", "Traders", "Systems", "Industries", "Solutions", "Holdings", "Partners", "Foods",
    "Software", "Energy", "Consulting", "Media", "Pharma", "Networks", "Retail", "Labs", "Group",
    "Engineering", "Analytics", "Capital", "Supplies", "Design", "Freight", "Health", "Motors", "Estates",
    "Telecom", "Security", "Provisions", "Print", "Textiles", "Robotics",
)  # fmt: skip
EN_COMPANY_FORMS: tuple[str, ...] = ("Ltd", "Inc.", "LLC", "plc", "GmbH", "Corp.")

# Pools are tuples of distinct values (a repeated entry would only make namesakes commoner).
RU_MALE = tuple(dict.fromkeys(RU_MALE))
RU_SURNAMES = tuple(dict.fromkeys(RU_SURNAMES))
EN_SURNAMES = tuple(dict.fromkeys(EN_SURNAMES))

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

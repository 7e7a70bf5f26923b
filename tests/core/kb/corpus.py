"""A small bilingual knowledge base with known answers: the test corpus for search on both backends."""

from __future__ import annotations

from pathlib import Path

ARTICLES: dict[str, str] = {
    "en/1-printer-not-printing.md": """---
title: Printer is not printing
tags: [printer, hardware]
---
If the printer does not print, check the cable, the paper tray and the print queue.
Restart the print spooler.
""",
    "en/2-paper-jam.md": """---
title: Clearing a paper jam
tags: [printer]
---
Open the front cover of the printer and remove the jammed paper slowly. Never pull paper backwards.
""",
    "en/3-toner.md": """---
title: Replacing the toner cartridge
tags: [printer, supplies]
---
Order a new **toner cartridge** from the supplies portal. The printer shows a message when toner is low.
""",
    "en/4-scanner.md": """---
title: Scanner does not scan
tags: [scanner, hardware]
---
Install the scanner driver. Scanning to email needs the SMTP address.
The printer part of a multifunction device works separately.
""",
    "en/5-vpn.md": """---
title: VPN connection drops
tags: [network]
---
When the VPN connection drops every few minutes, update the client and check the Wi-Fi power saving settings.
""",
    "en/6-password.md": """---
title: Resetting a password
tags: [account]
audience: public
---
Passwords are reset from the [self-service portal](https://portal.example). Connect to the VPN first when
working from home.
""",
    "ru/7-printer.md": """---
title: Принтер не печатает
tags: [принтер, оборудование]
---
Если принтеры не печатают, проверьте кабель, лоток для бумаги и очередь печати. Перезапустите службу печати.
""",
    "ru/8-paper.md": """---
title: Замятие бумаги
tags: [принтер]
---
Откройте переднюю крышку принтера и медленно извлеките замятую бумагу.
""",
    "ru/9-vpn.md": """---
title: VPN не подключается
tags: [сеть]
---
Если подключение к VPN обрывается, обновите клиент и проверьте настройки Wi-Fi.
Пароль от VPN совпадает с паролем от почты.
""",
    "ru/10-password.md": """---
title: Сброс пароля
tags: [учётная запись]
audience: public
---
Пароли сбрасываются на портале самообслуживания. Для сброса пароля позвоните на горячую линию.
""",
}


def slug_of(number: int) -> str:
    """The slug of corpus article ``number`` (the number its file name starts with)."""
    for path in ARTICLES:
        name = path.rsplit("/", 1)[1]
        if name.split("-", 1)[0] == str(number):
            return path.removesuffix(".md")
    raise KeyError(number)


def write_corpus(folder: Path) -> Path:
    """Write the corpus as Markdown files under ``folder``."""
    for relative, text in ARTICLES.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder

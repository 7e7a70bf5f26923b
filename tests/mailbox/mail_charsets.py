"""Generated messages in every charset real mail still arrives in, and with labels that lie.

Each case knows the exact text the sender wrote; the message carries it in the body (8bit or 7bit,
quoted-printable and base64), in an RFC 2047 subject, and as attachment names (RFC 2231 ``filename*``
and an RFC 2047 word in ``name=``, as Outlook writes it). Python has no ISO-2022-CN codec, so that one
is encoded here by hand (RFC 1922: GB 2312 designated to G1, shifted in and out with SO/SI).
"""

from __future__ import annotations

import base64
import quopri
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

TRANSFER_ENCODINGS = ("8bit", "quoted-printable", "base64")


@dataclass(frozen=True)
class CharsetCase:
    """One charset label and a text in it; ``codec`` is what really encodes the bytes."""

    label: str
    codec: str
    subject: str
    body: str
    filename: str

    @property
    def id(self) -> str:
        return self.label.strip().lower().replace(" ", "_")

    def encode(self, text: str) -> bytes:
        if self.codec == "iso2022_cn":
            return encode_iso2022_cn(text)
        return text.encode(self.codec)


def encode_iso2022_cn(text: str) -> bytes:
    """ISO-2022-CN (RFC 1922) for text of ASCII and GB 2312: ESC $ ) A once per line, SO/SI around
    each run of Chinese, each GB 2312 byte with its high bit cleared."""
    lines = []
    for line in text.split("\n"):
        out = bytearray()
        shifted = False
        designated = False
        for char in line:
            if char.isascii():
                if shifted:
                    out += b"\x0f"
                    shifted = False
                out += char.encode("ascii")
                continue
            if not designated:
                out += b"\x1b$)A"
                designated = True
            if not shifted:
                out += b"\x0e"
                shifted = True
            out += bytes(byte & 0x7F for byte in char.encode("gb2312"))
        if shifted:
            out += b"\x0f"
        lines.append(bytes(out))
    return b"\n".join(lines)


_CP1258_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def _vietnamese_cp1258(text: str) -> str:
    """windows-1258 has few precomposed letters: a Vietnamese writer's client sends base letters and
    combining tone marks. This is the text exactly as such a client sends it."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        try:
            char.encode("cp1258")
            out.append(char)
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            tones = "".join(mark for mark in decomposed[1:] if mark in _CP1258_TONE_MARKS)
            others = "".join(mark for mark in decomposed[1:] if mark not in _CP1258_TONE_MARKS)
            out.append(unicodedata.normalize("NFC", decomposed[0] + others) + tones)
    return "".join(out)


_VIETNAMESE = _vietnamese_cp1258("Máy in không hoạt động, xin hãy sửa gấp.\nCảm ơn ‘anh’ nhiều.")

CASES: tuple[CharsetCase, ...] = (
    CharsetCase(
        "ISO-2022-JP",
        "iso2022_jp",
        "プリンターが 動きません",
        "お世話になっております。\nプリンターが 動きません。「至急」お願いします。",
        "請求書 五月.txt",
    ),
    CharsetCase(
        "ISO-2022-KR",
        "iso2022_kr",
        "프린터가 작동하지 않습니다",
        "안녕하세요.\n프린터가 작동하지 않습니다. 빨리 고쳐 주세요.",
        "보고서 오월.txt",
    ),
    CharsetCase(
        "ISO-2022-CN", "iso2022_cn", "打印机 坏了", "您好，\n打印机 坏了，请尽快修理。谢谢！", "发票 五月.txt"
    ),
    CharsetCase(
        "GB2312",
        "gb2312",
        "打印机坏了 请修理",
        "您好：\n打印机坏了，请尽快修理：“急”。谢谢！",
        "发票 五月.txt",
    ),
    CharsetCase(
        "GBK",
        "gbk",
        "打印機壞了 镕",
        "您好：\n打印機壞了，請儘快修理。镕、堃、喆都是 GBK 的字。",
        "發票 镕.txt",
    ),
    CharsetCase(
        "GB18030",
        "gb18030",
        "打印机坏了 €",
        "您好：\n打印机坏了，费用 100 €。生僻字：𠮷、𡈽。",
        "发票 𠮷.txt",
    ),
    CharsetCase(
        "Big5", "big5", "印表機 故障", "您好：\n印表機 故障，請儘快修理。「急件」謝謝！", "報告 五月.txt"
    ),
    CharsetCase(
        "Shift_JIS",
        "shift_jis",
        "プリンターが動きません",
        "お世話になっております。\nプリンターが 動きません。ｶﾀｶﾅ も 混ざります。",
        "請求書 五月.txt",
    ),
    CharsetCase(
        "EUC-JP",
        "euc_jp",
        "プリンターが動きません",
        "お世話になっております。\nプリンターが 動きません。至急お願いします。",
        "請求書 五月.txt",
    ),
    CharsetCase(
        "EUC-KR",
        "euc_kr",
        "프린터 고장",
        "안녕하세요.\n프린터가 고장 났습니다. 확인 부탁드립니다.",
        "보고서 오월.txt",
    ),
    CharsetCase(
        "KOI8-R",
        "koi8_r",
        "Не работает принтер",
        "Здравствуйте!\nНе работает принтер в бухгалтерии, ёлки-палки.",
        "отчёт за май.txt",
    ),
    CharsetCase(
        "KOI8-U",
        "koi8_u",
        "Не працює принтер",
        "Добрий день!\nНе працює принтер: ґанок, їжак, є, і.",
        "звіт ґанок.txt",
    ),
    CharsetCase(
        "windows-1250",
        "cp1250",
        "Nefunguje tiskárna – „naléhavé“",
        "Dobrý den,\nPříliš žluťoučký kůň úpěl ďábelské ódy – „prosím“.",
        "faktura řijen.txt",
    ),
    CharsetCase(
        "windows-1251",
        "cp1251",
        "Принтер «не печатает» – ‘срочно’",
        "Здравствуйте!\nПринтер «не печатает», счёт № 15 – “срочно”, ‘сегодня’.",
        "счёт № 15.txt",
    ),
    CharsetCase(
        "windows-1252",
        "cp1252",
        "Drucker “kaputt” – ‘dringend’ €",
        "Grüße aus München,\nder Drucker ist “kaputt” – ‘dringend’, Kosten 100 €… œuvre.",
        "Rechnung März €.txt",
    ),
    CharsetCase(
        "windows-1253",
        "cp1253",
        "Ο εκτυπωτής δεν λειτουργεί",
        "Καλημέρα σας,\nο εκτυπωτής δεν λειτουργεί – ‘επείγον’.",
        "τιμολόγιο Μαΐου.txt",
    ),
    CharsetCase(
        "windows-1254",
        "cp1254",
        "Yazıcı çalışmıyor",
        "Merhaba,\nyazıcı çalışmıyor – ‘acil’ lütfen, İstanbul şubesi.",
        "fatura ağustos.txt",
    ),
    CharsetCase(
        "windows-1255", "cp1255", "המדפסת לא עובדת", "שלום,\nהמדפסת לא עובדת – ‘דחוף’.", "חשבונית מאי.txt"
    ),
    CharsetCase(
        "windows-1256", "cp1256", "الطابعة لا تعمل", "مرحبا،\nالطابعة لا تعمل – ‘عاجل’.", "فاتورة مايو.txt"
    ),
    CharsetCase(
        "windows-1257",
        "cp1257",
        "Printeris nestrādā",
        "Labdien,\nprinteris nestrādā – „steidzami“, ačiū, ļoti.",
        "rēķins maijs.txt",
    ),
    CharsetCase(
        "windows-1258",
        "cp1258",
        _vietnamese_cp1258("Máy in hỏng"),
        _VIETNAMESE,
        _vietnamese_cp1258("hoá đơn.txt"),
    ),
    CharsetCase(
        "ISO-8859-1",
        "iso8859_1",
        "Imprimante en panne à l’étage".replace("’", "'"),
        "Bonjour,\nl'imprimante est en panne, déjà vu ; « urgent ». Größe: ½.",
        "facture été.txt",
    ),
    CharsetCase(
        "ISO-8859-2",
        "iso8859_2",
        "Zażółć gęślą jaźń",
        "Dzień dobry,\nzażółć gęślą jaźń; příliš žluťoučký kůň.",
        "faktura źdźbło.txt",
    ),
    CharsetCase(
        "ISO-8859-3",
        "iso8859_3",
        "Ĉu la presilo funkcias?",
        "Saluton,\nĉu la presilo funkcias? Ŝi ĝuas ĥoron; Ħal Saflieni.",
        "fakturo ĉeĥa.txt",
    ),
    CharsetCase(
        "ISO-8859-4",
        "iso8859_4",
        "Spausdintuvas neveikia",
        "Laba diena,\nspausdintuvas neveikia; ķēķis, ŗ, ų, ė, Ŋ.",
        "sąskaita ķē.txt",
    ),
    CharsetCase(
        "ISO-8859-5",
        "iso8859_5",
        "Не работает принтер",
        "Здравствуйте!\nНе работает принтер, ёжик, №.",
        "отчёт май.txt",
    ),
    CharsetCase("ISO-8859-6", "iso8859_6", "الطابعة لا تعمل", "مرحبا،\nالطابعة لا تعمل؟", "فاتورة.txt"),
    CharsetCase(
        "ISO-8859-7",
        "iso8859_7",
        "Ο εκτυπωτής δεν λειτουργεί",
        "Καλημέρα σας,\nο εκτυπωτής δεν λειτουργεί· ευχαριστώ.",
        "τιμολόγιο.txt",
    ),
    CharsetCase("ISO-8859-8", "iso8859_8", "המדפסת לא עובדת", "שלום,\nהמדפסת לא עובדת.", "חשבונית.txt"),
    CharsetCase(
        "ISO-8859-9",
        "iso8859_9",
        "Yazıcı çalışmıyor",
        "Merhaba,\nyazıcı çalışmıyor; İstanbul, ğüşıöç.",
        "fatura ağustos.txt",
    ),
    CharsetCase(
        "ISO-8859-10",
        "iso8859_10",
        "Prentarinn virkar ekki",
        "Góðan dag,\nprentarinn virkar ekki; Þórður, ŋ, ŧ, đ.",
        "reikningur Þór.txt",
    ),
    CharsetCase("ISO-8859-11", "iso8859_11", "เครื่องพิมพ์เสีย", "สวัสดีครับ\nเครื่องพิมพ์เสีย กรุณาซ่อมด่วน", "ใบแจ้งหนี้.txt"),
    CharsetCase(
        "ISO-8859-13",
        "iso8859_13",
        "Printeris nestrādā",
        "Labdien,\nprinteris nestrādā: „steidzami”, ačiū.",
        "rēķins maijs.txt",
    ),
    CharsetCase(
        "ISO-8859-14",
        "iso8859_14",
        "Nid yw’r argraffydd yn gweithio".replace("’", "'"),
        "Bore da,\nnid yw'r argraffydd yn gweithio; Ŵyn, ŷd, ẁ, Ḃ.",
        "anfoneb Ŵyn.txt",
    ),
    CharsetCase(
        "ISO-8859-15",
        "iso8859_15",
        "Imprimante en panne – 100 €".replace("–", "-"),
        "Bonjour,\nl'imprimante coûte 100 € ; œuvre, Ÿ, š, ž.",
        "facture œuvre €.txt",
    ),
    CharsetCase(
        "ISO-8859-16",
        "iso8859_16",
        "Imprimanta nu funcționează",
        "Bună ziua,\nimprimanta nu funcționează: „urgent”, ședință.",
        "factură ședință.txt",
    ),
    CharsetCase(
        "UTF-7",
        "utf_7",
        "Übermittlung fehlgeschlagen",
        "Guten Tag,\ndie Übermittlung ist fehlgeschlagen – ‘dringend’, 東京.",
        "Übersicht – März.txt",
    ),
    CharsetCase(
        "unicode-1-1-utf-7",
        "utf_7",
        "Übermittlung fehlgeschlagen",
        "Guten Tag,\ndie Übermittlung ist fehlgeschlagen – “dringend”.",
        "Übersicht.txt",
    ),
    CharsetCase(
        "UTF-8",
        "utf-8",
        "Re: ‘Принтер’ “不工作” 中文 文本",
        "Здравствуйте!\n打印机 坏了 — it’s “broken”, ‘really’. 日本語 の テキスト.",
        "отчёт 中文 ‘май’.txt",
    ),
)


def _header_word(case: CharsetCase, text: str, q_encoding: bool) -> bytes:
    """One RFC 2047 encoded word (Q for single-byte charsets where asked, B otherwise)."""
    data = case.encode(text)
    if q_encoding:
        quoted = b"".join(
            b"_"
            if byte == 0x20
            else bytes([byte])
            if chr(byte).isalnum() and byte < 0x80
            else b"=%02X" % byte
            for byte in data
        )
        return b"=?" + case.label.encode() + b"?Q?" + quoted + b"?="
    return b"=?" + case.label.encode() + b"?B?" + base64.b64encode(data) + b"?="


def _transfer(data: bytes, encoding: str) -> tuple[bytes, bytes]:
    """(Content-Transfer-Encoding value, encoded body) with CRLF line ends."""
    if encoding == "base64":
        return b"base64", base64.encodebytes(data).replace(b"\n", b"\r\n")
    if encoding == "quoted-printable":
        return b"quoted-printable", quopri.encodestring(data).replace(b"\n", b"\r\n")
    seven_bit = all(byte < 0x80 for byte in data)
    return (b"7bit" if seven_bit else b"8bit"), data.replace(b"\n", b"\r\n")


def charset_message(case: CharsetCase, transfer: str = "8bit") -> bytes:
    """A multipart/mixed message: the body and two attachments named in the case's charset."""
    single_byte = case.codec.startswith(("cp125", "iso8859", "koi8"))
    subject = _header_word(case, case.subject, q_encoding=single_byte)
    encoding, body = _transfer(case.encode(case.body), transfer)
    name_2231 = case.label.encode() + b"''" + quote_from_bytes(case.encode(case.filename)).encode()
    name_2047 = _header_word(case, case.filename, q_encoding=False)
    boundary = b"=_boundary_" + case.id.encode()
    return (
        b"From: " + _header_word(case, "Отправитель" if "1251" in case.label else "Client", False)
        + b" <client@example.org>\r\nTo: support@example.com\r\nSubject: " + subject + b"\r\n"
        b"Date: Mon, 23 Nov 2026 07:00:00 +0000\r\nMessage-ID: <" + case.id.encode() + b"." + transfer.encode()
        + b"@charsets.test>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n'
        b"--" + boundary + b'\r\nContent-Type: text/plain; charset="' + case.label.encode() + b'"\r\n'
        b"Content-Transfer-Encoding: " + encoding + b"\r\n\r\n" + body + b"\r\n"
        b"--" + boundary + b"\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename*=" + name_2231 + b"\r\n\r\nYQ==\r\n"
        b"--" + boundary + b'\r\nContent-Type: application/octet-stream; name="' + name_2047 + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nYWI=\r\n"
        b"--" + boundary + b"--\r\n"
    )  # fmt: skip


@dataclass(frozen=True)
class LyingCase:
    """A body whose label is wrong, missing from the codec registry, or misspelt."""

    id: str
    declared: str
    codec: str
    body: str
    transfer: str = "8bit"


LYING: tuple[LyingCase, ...] = (
    LyingCase("utf8-declared-us-ascii", "us-ascii", "utf-8", "Grüße – it’s “fine”, ёлки 中文 文本."),
    LyingCase(
        "cp1251-declared-us-ascii", "us-ascii", "cp1251", "Здравствуйте! Не работает принтер, «срочно»."
    ),
    LyingCase("latin1-declared-us-ascii", "us-ascii", "iso8859_1", "Grüße aus München, déjà vu, garçon."),
    LyingCase(
        "cp1251-declared-latin1", "iso-8859-1", "cp1251", "Здравствуйте! Принтер не печатает — ‘срочно’."
    ),
    LyingCase("cp1252-declared-latin1", "iso-8859-1", "cp1252", "It’s “broken” – please fix… €100."),
    LyingCase("gbk-declared-gb2312", "gb2312", "gbk", "您好，打印機壞了，镕、堃、喆。"),
    LyingCase("x-unknown", "x-unknown", "cp1251", "Здравствуйте! Счёт во вложении, спасибо."),
    LyingCase("windows-1251-with-spaces", "windows-1251 ", "cp1251", "Здравствуйте! Счёт № 7 во вложении."),
    LyingCase("cp-1251", "cp-1251", "cp1251", "Здравствуйте! Счёт во вложении, «спасибо»."),
    LyingCase("utf8-label", "utf8", "utf-8", "Grüße ‘quoted’ “double” 中文 文本 Привет."),
    LyingCase(
        "koi8r-declared-cp1251", "windows-1251", "koi8_r", "Здравствуйте! Не работает принтер в бухгалтерии."
    ),
    LyingCase(
        "cp1251-qp-declared-latin1",
        "iso-8859-1",
        "cp1251",
        "Здравствуйте! Принтер не печатает.",
        "quoted-printable",
    ),
    LyingCase("cp1251-base64-unknown", "x-unknown", "cp1251", "Здравствуйте! Счёт во вложении.", "base64"),
)


def lying_message(case: LyingCase) -> bytes:
    encoding, body = _transfer(case.body.encode(case.codec), case.transfer)
    return (
        b"From: Client <client@example.org>\r\nTo: support@example.com\r\nSubject: label test\r\n"
        b"Message-ID: <" + case.id.encode() + b"@charsets.test>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: text/plain; charset="' + case.declared.encode() + b'"\r\n'
        b"Content-Transfer-Encoding: " + encoding + b"\r\n\r\n" + body + b"\r\n"
    )


# Subjects whose encoded-word label lies or is unknown, and the exact text each carries.
LYING_SUBJECTS: tuple[tuple[str, bytes, str], ...] = (
    (
        "x-unknown-word",
        b"=?x-unknown?B?" + base64.b64encode("Счёт за май".encode("cp1251")) + b"?=",
        "Счёт за май",
    ),
    ("utf8-label-word", b"=?utf8?B?" + base64.b64encode("Счёт ‘май’".encode()) + b"?=", "Счёт ‘май’"),
    ("cp-1251-word", b"=?cp-1251?Q?=D1=F7=B8=F2_=E7=E0_=EC=E0=E9?=", "Счёт за май"),
    (
        "latin1-word-really-cp1251",
        b"=?iso-8859-1?B?" + base64.b64encode("Счёт за май".encode("cp1251")) + b"?=",
        "Счёт за май",
    ),
    ("us-ascii-word-8bit-utf8", b"=?us-ascii?Q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
    ("utf7-word", b"=?unicode-1-1-utf-7?Q?+ANw-bermittlung_fehlgeschlagen?=", "Übermittlung fehlgeschlagen"),
    ("iso2022jp-raw-header", "プリンター 故障".encode("iso2022_jp"), "プリンター 故障"),
    ("raw-8bit-utf8-header", "Grüße – ‘ok’".encode(), "Grüße – ‘ok’"),
)


def subject_message(subject: bytes, message_id: str) -> bytes:
    return (
        b"From: Client <client@example.org>\r\nTo: support@example.com\r\nSubject: " + subject + b"\r\n"
        b"Message-ID: <" + message_id.encode() + b"@charsets.test>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n\r\nx\r\n"
    )


# HTML-only mail: typographic quotes and spaces inside CJK text must survive HTML-to-text (item 3).
HTML_FIDELITY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "cjk-spaces",
        "<html><body><p>打印机 坏了 请 修理</p><p>日本語 の テキスト</p></body></html>",
        ("打印机 坏了 请 修理", "日本語 の テキスト"),
    ),
    (
        "typographic-quotes",
        "<p>It&rsquo;s &ldquo;broken&rdquo; &ndash; &lsquo;really&rsquo;.</p><p>It’s “raw” too.</p>",
        ("It’s “broken” – ‘really’.", "It’s “raw” too."),
    ),
    (
        "paragraphs-lists-rows",
        "<p>One</p><p>Two</p><ul><li>first</li><li>second</li></ul>"
        "<table><tr><td>A1</td><td>B1</td></tr><tr><td>A2</td><td>B2</td></tr></table>",
        ("One\n\nTwo", "first", "second", "A1", "B1", "A2", "B2"),
    ),
)


def html_message(html: str, message_id: str) -> bytes:
    return (
        b"From: Client <client@example.org>\r\nTo: support@example.com\r\nSubject: html\r\n"
        b"Message-ID: <" + message_id.encode() + b"@charsets.test>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(html.encode())
    )

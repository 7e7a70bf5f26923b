"""Wrong keyboard layout: text typed with the Russian layout on while meaning English, or the reverse.

``bdfyjd`` is what ``иванов`` looks like when typed on the QWERTY layout; ``ghbdtn`` is ``привет``.
The two layouts share the physical keys, so the conversion is a fixed table (including the punctuation
keys that carry Russian letters: ``[`` is ``х``, ``;`` is ``ж``, ``,`` is ``б``...).
"""

from __future__ import annotations

_QWERTY = "`qwertyuiop[]asdfghjkl;'zxcvbnm,./~QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>?"
_JCUKEN = "ёйцукенгшщзхъфывапролджэячсмитьбю.ЁЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ,"

_TO_RUSSIAN = str.maketrans(_QWERTY, _JCUKEN)
_TO_ENGLISH = str.maketrans(_JCUKEN, _QWERTY) | str.maketrans({'"': "@", "№": "#"})
"""(Shift+2 and Shift+3 type ``"`` and ``№`` on ЙЦУКЕН, ``@`` and ``#`` on QWERTY: an address or a ticket
typed with the Russian layout on.)"""
_RUSSIAN_LETTERS = set("ёйцукенгшщзхъфывапролджэячсмитьбюЁЙЦУКЕНГШЩЗХЪФЫВАПРОЛДЖЭЯЧСМИТЬБЮ")


def to_russian_layout(text: str) -> str:
    """What ``text`` typed on QWERTY keys means on the ЙЦУКЕН layout (``ghbdtn`` → ``привет``)."""
    return text.translate(_TO_RUSSIAN)


def to_english_layout(text: str) -> str:
    """What ``text`` typed on ЙЦУКЕН keys means on the QWERTY layout (``Шмфтщм`` → ``Ivanov``)."""
    return text.translate(_TO_ENGLISH)


def swap_layout(text: str) -> str:
    """The same keystrokes read on the other layout: Russian letters become QWERTY, anything else ЙЦУКЕН.

    Returns ``""`` when the text has no letters to swap.
    """
    if any(char in _RUSSIAN_LETTERS for char in text):
        swapped = to_english_layout(text)
    else:
        swapped = to_russian_layout(text)
    return swapped if swapped != text else ""

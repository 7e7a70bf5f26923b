"""The lookup box: an ``Input`` whose keystrokes repaint the box alone, not the whole screen."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive

from hotline.tui.widgets.one_line_input import OneLineInput


class LookupBox(OneLineInput):
    """The home screen's lookup box.

    Textual's ``Input`` sets its virtual size (the text's width + 1) on every change of its value, and a
    widget's virtual size asks for a layout of the whole screen: a reflow per keystroke that moves
    nothing, since the box is as wide as the screen and three lines high whatever is typed. Here the
    virtual size repaints the box and updates its scrolling bounds in place, which is all the layout did
    for it. Should the horizontal scrollbar need to show or hide, that reactive still asks for a layout.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def _watch_virtual_size(self, size: Size) -> None:
        if self.container_size:
            # what the skipped layout did through ScrollView._size_updated (textual is pinned)
            self._scroll_update(size)

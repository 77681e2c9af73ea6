"""Provides LabFooter: textual's footer, with only the keys that fit the terminal's width."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

ALWAYS_SHOWN = ("question_mark", "q")
"""Help (`?`, which lists every key of every screen) and quit stay in every footer."""


def kept_keys(widths: list[int], always: list[bool], palette: list[bool], room: int) -> list[bool]:
    """Which keys to show, in footer order, when they take `widths` cells and the footer has
    `room`: all when they fit; else the palette key goes first, then the screen's keys from
    the right, never one that is `always` shown. A key is never cut halfway."""
    kept = [True] * len(widths)
    order = [i for i in range(len(widths)) if palette[i]]
    order += [i for i in reversed(range(len(widths))) if not palette[i] and not always[i]]
    for i in order:
        if sum(w for w, k in zip(widths, kept, strict=True) if k) <= room:
            break
        kept[i] = False
    return kept


class LabFooter(Footer):
    """The screen's keys on one row. Where they do not all fit (60 columns, a screen with many
    keys), the ones that fit are shown whole and the rest stay in help (`?`): a key is never
    cut to `q Qu`."""

    DEFAULT_CSS = """
    LabFooter FooterKey.-dropped {
        display: none;
    }
    """

    _drawn: tuple = ()

    async def recompose(self) -> None:
        # Most focus moves keep the same keys: rebuilding a dozen key widgets for each was a
        # tenth of the app's CPU in the suite.
        drawn = self._drawn_from()
        if drawn and drawn == self._drawn:
            return
        self._drawn = drawn
        await super().recompose()
        self.fit_keys()  # before the keys are first drawn, so that none shows cut
        self.call_after_refresh(self.fit_keys)  # a footer not laid out yet had no width

    def _drawn_from(self) -> tuple:
        """What the keys are drawn from; empty before the screen's bindings are ready."""
        if not self._bindings_ready or not self.is_attached:
            return ()
        bindings = tuple(
            (b.key, b.description, b.action, b.show, b.group, enabled, tooltip)
            for _node, b, enabled, tooltip in self.screen.active_bindings.values()
        )
        return (self.compact, self.show_command_palette, bindings)

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.fit_keys)

    def fit_keys(self) -> None:
        keys = list(self.query(FooterKey))
        widths = [
            key.render().cell_len + key.styles.gutter.width + key.styles.margin.width
            for key in keys
        ]
        always = [key.key in ALWAYS_SHOWN for key in keys]
        palette = [key.has_class("-command-palette") for key in keys]
        for key, kept in zip(
            keys, kept_keys(widths, always, palette, self.size.width), strict=True
        ):
            key.set_class(not kept, "-dropped")

    @property
    def shown_keys(self) -> list[FooterKey]:
        """The keys on screen, in order (tests read them)."""
        return [key for key in self.query(FooterKey) if not key.has_class("-dropped")]
